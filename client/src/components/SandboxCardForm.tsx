'use client';

import { useState, type FormEvent } from 'react';
import { formatPrice } from '@/lib/format';
import type { PayHandle } from './OrderPayment';

/** The test cards of the built-in sandbox provider (Stripe's test-card semantics). */
export const SANDBOX_CARDS = [
  { token: 'tok_visa', label: 'Visa •••• 4242 (succeeds)' },
  { token: 'pm_card_chargeDeclined', label: 'Visa •••• 0002 (declined)' },
] as const;

export function SandboxCardForm({ price, handle }: { price: number; handle: PayHandle }) {
  const [token, setToken] = useState<string>(SANDBOX_CARDS[0].token);

  // Never rejects (handle.pay turns a failed request into errors shown), so the form fires it and forgets.
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await handle.pay(token);
  }

  return (
    <form
      className="stack"
      onSubmit={(e) => void onSubmit(e)}
      aria-label="Payment"
      data-testid="payment-form"
    >
      <fieldset className="card-choice">
        <legend>Card (test mode)</legend>
        {SANDBOX_CARDS.map((card) => (
          <label key={card.token} className="choice">
            <input
              type="radio"
              name="card"
              value={card.token}
              checked={token === card.token}
              onChange={() => setToken(card.token)}
            />
            <span className="card-brand" aria-hidden="true">
              VISA
            </span>
            <span>{card.label}</span>
          </label>
        ))}
      </fieldset>
      <button type="submit" className="button block" disabled={handle.pending} data-testid="pay">
        {handle.pending ? 'Processing…' : `Pay ${formatPrice(price)}`}
      </button>
    </form>
  );
}
