'use client';

import dynamic from 'next/dynamic';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { isChargeable, MIN_CHARGE_MESSAGE, priceToCents } from '@ticketing/common/money';
import { useSubmitOnce } from '@/lib/use-submit-once';
import { formatCountdown, formatPrice } from '@/lib/format';
import { FormAlert } from './FormErrors';
import { SandboxCardForm } from './SandboxCardForm';

// Stripe's code is only loaded when a publishable key is configured, so nothing is fetched otherwise.
const StripeCardForm = dynamic(() => import('./StripeCardForm').then((m) => m.StripeCardForm), {
  ssr: false,
  loading: () => <p className="muted">Loading secure payment form…</p>,
});

export interface PayHandle {
  /**
   * Sends the token to POST /api/payments; resolves true when the payment was accepted (false
   * otherwise, and for a second submission while the first is on its way).
   */
  pay: (token: string) => Promise<boolean>;
  pending: boolean;
  setPending: (pending: boolean) => void;
  errors: string[];
  setErrors: (errors: string[]) => void;
}

interface Props {
  orderId: string;
  price: number;
  expiresAt: string;
  /** The server's clock at render time: the first client render shows the same countdown, no hydration mismatch. */
  serverNow: number;
  stripePublishableKey: string | null;
}

const CONFIRM_POLLS = 30;

/**
 * The live part of an open order: the countdown to its expiry, and the payment form while time is
 * left. After a successful payment it refreshes the server-rendered page until the order shows as
 * paid (the order service learns of the payment through an event, a moment later).
 */
export function OrderPayment({ orderId, price, expiresAt, serverNow, stripePublishableKey }: Props) {
  const router = useRouter();
  const [now, setNow] = useState(serverNow);
  const [paid, setPaid] = useState(false);
  const [polls, setPolls] = useState(0);
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const submitOnce = useSubmitOnce();

  useEffect(() => {
    // Hydration has to show the server's time; right after it, one extra render switches to the browser's clock.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (!paid || polls >= CONFIRM_POLLS) return;
    const timer = setTimeout(() => {
      router.refresh();
      setPolls((n) => n + 1);
    }, 1000);
    return () => clearTimeout(timer);
  }, [paid, polls, router]);

  const pay = useCallback(
    async (token: string) => {
      setPending(true);
      setErrors([]);
      // At most one charge per payment the user makes, however often it is clicked or retried.
      const result = await submitOnce<{ id: string }>('/api/payments', { orderId, token });
      // A second click while the first is on its way: the first one's answer is shown.
      if (result === undefined) return false;
      if (result.ok) {
        setPaid(true);
        router.refresh();
        return true;
      }
      if (result.errors.some((e) => e.message === 'Order has already been paid')) {
        setPaid(true);
        router.refresh();
        return true;
      }
      setErrors(result.errors.map((e) => e.message));
      setPending(false);
      return false;
    },
    [orderId, router, submitOnce],
  );

  const msLeft = Date.parse(expiresAt) - now;
  const expired = msLeft <= 0;

  if (paid) {
    return (
      <div className="alert success" role="status" data-testid="payment-received">
        <strong>Payment received</strong>
        {polls >= CONFIRM_POLLS
          ? 'Your payment went through. It can take a moment to show here; refresh the page to see your confirmed order.'
          : 'Confirming your order…'}
      </div>
    );
  }

  if (expired) {
    return (
      <div className="alert warning" role="alert" data-testid="order-expired">
        <strong>Order expired</strong>
        The reservation ran out before payment, so the ticket has been released. You have not been charged.
      </div>
    );
  }

  // The API would refuse it (400) before any card is asked for: say why instead of showing a form.
  if (!isChargeable(priceToCents(price))) {
    return (
      <div className="alert warning" role="alert" data-testid="below-minimum-charge">
        <strong>This order cannot be paid by card</strong>
        {MIN_CHARGE_MESSAGE}. The reservation will lapse on its own; you have not been charged.
      </div>
    );
  }

  const handle: PayHandle = { pay, pending, setPending, errors, setErrors };

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 18 }}>
      <div className="alert info" data-testid="countdown-box">
        Time left to pay:{' '}
        <span className="countdown" role="timer" aria-live="off" data-testid="countdown">
          {formatCountdown(msLeft)}
        </span>
      </div>
      <FormAlert messages={errors} />
      {stripePublishableKey ? (
        <StripeCardForm publishableKey={stripePublishableKey} price={price} handle={handle} />
      ) : (
        <SandboxCardForm price={price} handle={handle} />
      )}
      <p className="secure-note">
        <svg width="14" height="14" viewBox="0 0 24 24" aria-hidden="true">
          <path
            fill="currentColor"
            d="M12 1a5 5 0 0 0-5 5v3H5v14h14V9h-2V6a5 5 0 0 0-5-5Zm-3 5a3 3 0 1 1 6 0v3H9V6Z"
          />
        </svg>
        You pay {formatPrice(price)} once. Card details never touch our servers.
      </p>
    </div>
  );
}
