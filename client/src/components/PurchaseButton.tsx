'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useSubmitOnce } from '@/lib/use-submit-once';
import type { Order } from '@/lib/types';
import { FormAlert } from './FormErrors';

/** Reserves the ticket (POST /api/orders) and goes to the new order's page to pay. */
export function PurchaseButton({ ticketId }: { ticketId: string }) {
  const router = useRouter();
  const [errors, setErrors] = useState<string[]>([]);
  const [pending, setPending] = useState(false);
  const submitOnce = useSubmitOnce();

  // Never rejects (sendJson turns a failed request into a result), so the button fires it and forgets.
  async function purchase() {
    setPending(true);
    setErrors([]);
    const result = await submitOnce<Order>('/api/orders', { ticketId });
    // A second click while the first is on its way: the first one's answer is shown.
    if (result === undefined) return;
    if (result.ok && result.data?.id) {
      router.push(`/orders/${result.data.id}`);
      return;
    }
    setErrors(result.ok ? ['Something went wrong. Please try again.'] : result.errors.map((e) => e.message));
    setPending(false);
  }

  return (
    <div className="stack" style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <FormAlert messages={errors} />
      <button
        type="button"
        className="button"
        onClick={() => void purchase()}
        disabled={pending}
        data-testid="purchase"
      >
        {pending ? 'Reserving…' : 'Purchase'}
      </button>
    </div>
  );
}
