'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { isChargeable, MIN_CHARGE_CENTS, parsePrice } from '@ticketing/common/money';
import { splitErrors, type FormErrors } from '@/lib/api-core';
import { sendJson } from '@/lib/browser-api';
import { useSubmitOnce } from '@/lib/use-submit-once';
import type { Ticket } from '@/lib/types';
import { FieldError, FormAlert } from './FormErrors';

const FIELDS = ['title', 'price'] as const;
const NO_ERRORS: FormErrors = { fields: {}, form: [] };

const PRICE_FORMAT = 'Enter a price above zero, like 25 or 19.99.';
const MIN_CHARGE = `$${(MIN_CHARGE_CENTS / 100).toFixed(2)}`;

/** The typed price checked as the API checks it (common's parsePrice): its cents, or what is wrong. */
function checkPrice(text: string): { cents: number } | { error: string } {
  const trimmed = text.trim();
  if (!/^\d+(\.\d{1,2})?$/.test(trimmed)) return { error: PRICE_FORMAT };
  const checked = parsePrice(Number(trimmed));
  if (!checked.ok) return { error: Number(trimmed) > 0 ? `${checked.message}.` : PRICE_FORMAT };
  return { cents: checked.cents };
}

/** Checks the obvious before a round trip; the API stays the judge of the rules. */
function localErrors(title: string, price: string): FormErrors {
  const fields: Record<string, string[]> = {};
  if (!title.trim()) fields.title = ['Enter a title.'];
  const checked = checkPrice(price);
  if ('error' in checked) fields.price = [checked.error];
  return { fields, form: [] };
}

export function TicketForm({ ticket }: { ticket?: Pick<Ticket, 'id' | 'title' | 'price'> }) {
  const router = useRouter();
  const editing = ticket !== undefined;
  const [title, setTitle] = useState(ticket?.title ?? '');
  const [price, setPrice] = useState(ticket ? String(ticket.price) : '');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [pending, setPending] = useState(false);
  const submitOnce = useSubmitOnce();

  // Never rejects (sendJson turns a failed request into a result), so the form fires it and forgets.
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const local = localErrors(title, price);
    if (Object.keys(local.fields).length > 0) {
      setErrors(local);
      return;
    }
    setPending(true);
    setErrors(NO_ERRORS);
    const body = { title: title.trim(), price: Number(price) };
    // A new listing is sent at most once, however often it is clicked or retried.
    const result = editing
      ? await sendJson<Ticket>('PUT', `/api/tickets/${ticket.id}`, body)
      : await submitOnce<Ticket>('/api/tickets', body);
    // A second click while the first is on its way: the first one's answer is shown.
    if (result === undefined) return;
    if (result.ok) {
      router.push(`/tickets/${result.data?.id ?? ticket?.id ?? ''}`);
      router.refresh();
      return;
    }
    setErrors(splitErrors(result.errors, FIELDS));
    setPending(false);
  }

  const titleErr = errors.fields.title;
  const priceErr = errors.fields.price;
  const typed = checkPrice(price);
  // Listing below the card minimum is allowed, but a buyer could not pay for it: say so while typing.
  const belowMinimum = 'cents' in typed && !isChargeable(typed.cents);

  return (
    <form
      className="stack"
      onSubmit={(e) => void onSubmit(e)}
      noValidate
      aria-label={editing ? 'Edit ticket' : 'Sell a ticket'}
      data-testid="ticket-form"
    >
      <FormAlert messages={errors.form} />
      <div className="field">
        <label htmlFor="title">Title</label>
        <input
          id="title"
          name="title"
          type="text"
          maxLength={120}
          required
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          aria-invalid={titleErr ? true : undefined}
          aria-describedby={['title-hint', titleErr ? 'title-error' : ''].filter(Boolean).join(' ')}
        />
        <span className="hint" id="title-hint">
          The event, date and seat, e.g. “Arctic Monkeys · Sat 14 Jun · Block B row 3”.
        </span>
        <FieldError id="title-error" messages={titleErr} />
      </div>
      <div className="field">
        <label htmlFor="price">Price (USD)</label>
        <div className="input-prefix">
          <span aria-hidden="true">$</span>
          <input
            id="price"
            name="price"
            type="text"
            inputMode="decimal"
            autoComplete="off"
            required
            value={price}
            onChange={(e) => setPrice(e.target.value)}
            aria-invalid={priceErr ? true : undefined}
            aria-describedby={
              [belowMinimum ? 'price-hint' : '', priceErr ? 'price-error' : ''].filter(Boolean).join(' ') ||
              undefined
            }
          />
        </div>
        {belowMinimum && (
          <span className="hint" id="price-hint" data-testid="price-below-minimum">
            Buyers pay by card, and card payments start at {MIN_CHARGE}: a ticket priced below that cannot be
            bought.
          </span>
        )}
        <FieldError id="price-error" messages={priceErr} />
      </div>
      <button type="submit" className="button block" disabled={pending}>
        {pending ? 'Saving…' : editing ? 'Save changes' : 'List ticket'}
      </button>
    </form>
  );
}
