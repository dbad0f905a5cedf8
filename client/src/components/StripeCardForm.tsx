'use client';

import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
// The "pure" entry does not inject Stripe.js on import; loadStripe runs only when this form mounts.
import { loadStripe } from '@stripe/stripe-js/pure';
import type { Stripe } from '@stripe/stripe-js';
import { useState, type FormEvent } from 'react';
import { formatPrice } from '@/lib/format';
import type { PayHandle } from './OrderPayment';
import { priceToCents } from '@ticketing/common/money';

interface Props {
  publishableKey: string;
  price: number;
  handle: PayHandle;
}

/** Stripe's own Payment Element: it creates a PaymentMethod whose id is sent as the payment token. */
export function StripeCardForm({ publishableKey, price, handle }: Props) {
  const [stripePromise] = useState<Promise<Stripe | null>>(() => loadStripe(publishableKey));
  return (
    <Elements
      stripe={stripePromise}
      options={{
        mode: 'payment',
        amount: priceToCents(price),
        currency: 'usd',
        paymentMethodCreation: 'manual',
        appearance: { theme: 'stripe', variables: { colorPrimary: '#3730a3', borderRadius: '8px' } },
      }}
    >
      <InnerForm price={price} handle={handle} />
    </Elements>
  );
}

function InnerForm({ price, handle }: { price: number; handle: PayHandle }) {
  const stripe = useStripe();
  const elements = useElements();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!stripe || !elements) return;
    handle.setPending(true);
    handle.setErrors([]);
    const submitted = await elements.submit();
    if (submitted.error) {
      handle.setErrors([submitted.error.message ?? 'Check your card details.']);
      handle.setPending(false);
      return;
    }
    const { error, paymentMethod } = await stripe.createPaymentMethod({ elements });
    if (error || !paymentMethod) {
      handle.setErrors([error?.message ?? 'Your card could not be used.']);
      handle.setPending(false);
      return;
    }
    await handle.pay(paymentMethod.id);
  }

  return (
    <form
      className="stack"
      onSubmit={(e) =>
        // Stripe.js reports card problems as results but can still throw (e.g. its script failed to load).
        void onSubmit(e).catch(() => {
          handle.setErrors(['The payment form failed. Please reload the page and try again.']);
          handle.setPending(false);
        })
      }
      aria-label="Payment"
      data-testid="payment-form"
    >
      <PaymentElement />
      <button
        type="submit"
        className="button block"
        disabled={!stripe || !elements || handle.pending}
        data-testid="pay"
      >
        {handle.pending ? 'Processing…' : `Pay ${formatPrice(price)}`}
      </button>
    </form>
  );
}
