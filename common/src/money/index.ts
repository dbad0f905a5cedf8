/**
 * @ticketing/common/money: the one place prices are checked and converted. Prices travel as JSON
 * numbers of dollars with at most 2 decimals (`19.99`) and are stored as integer cents (`1999`).
 * No imports, so the client (browser bundle included) can use it as `@ticketing/common/money`.
 */

/** The highest price a ticket may have: $1,000,000.00. */
export const MAX_PRICE_CENTS = 100_000_000;
/** The lowest price a ticket may have: one cent. */
export const MIN_PRICE_CENTS = 1;
/**
 * The payment provider's minimum charge (Stripe, USD): $0.50. Tickets may be listed below it (the
 * price is the seller's business), but such an order cannot be paid by card: `POST /api/payments`
 * answers 400 with `MIN_CHARGE_MESSAGE`.
 */
export const MIN_CHARGE_CENTS = 50;

/** `MAX_PRICE_CENTS` in dollars (1000000). */
export const MAX_PRICE = MAX_PRICE_CENTS / 100;

export const PRICE_MESSAGES = {
  notANumber: 'Price must be a number',
  notPositive: 'Price must be greater than 0',
  tooLarge: `Price must be at most ${MAX_PRICE}`,
  notWholeCents: 'Price must have at most 2 decimals',
} as const;

/** Why `POST /api/payments` refuses an order priced below the minimum charge. */
export const MIN_CHARGE_MESSAGE = `Card payments must be at least $${(MIN_CHARGE_CENTS / 100).toFixed(2)}; this order cannot be paid by card`;

/** A checked price: its exact cents, or the message saying what is wrong with it. */
export type PriceCheck = { ok: true; cents: number } | { ok: false; message: string };

// The shortest decimal that reads back as the same double (what String() prints) of a price with at
// most 2 decimals. Working on that text, not on `price * 100`, makes the check exact: 1e-17 or
// 5e-324 print in exponent form and never pass, whereas a float tolerance let them round to 0 cents.
const TWO_DECIMALS = /^(\d+)(?:\.(\d{1,2}))?$/;

/**
 * Checks a price as it came from JSON (any value): a finite number, > 0, ≤ MAX_PRICE, a whole
 * number of cents. Returns its exact cents, never a rounded guess.
 */
export function parsePrice(value: unknown): PriceCheck {
  if (typeof value !== 'number' || !Number.isFinite(value))
    return { ok: false, message: PRICE_MESSAGES.notANumber };
  if (value <= 0) return { ok: false, message: PRICE_MESSAGES.notPositive };
  if (value > MAX_PRICE) return { ok: false, message: PRICE_MESSAGES.tooLarge };
  const match = TWO_DECIMALS.exec(String(value));
  if (!match) return { ok: false, message: PRICE_MESSAGES.notWholeCents };
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  // Unreachable for a positive price with at most 2 decimals; kept so no path yields 0 cents.
  if (cents < MIN_PRICE_CENTS) return { ok: false, message: PRICE_MESSAGES.notPositive };
  return { ok: true, cents };
}

/** True when `value` is a valid price (see parsePrice). */
export function isPrice(value: unknown): value is number {
  return parsePrice(value).ok;
}

/** A valid price → its exact cents (`19.99` → `1999`). Throws RangeError on anything else: check first. */
export function priceToCents(price: number): number {
  const checked = parsePrice(price);
  if (!checked.ok) throw new RangeError(`Not a valid price (${checked.message}): ${price}`);
  return checked.cents;
}

/** Integer cents → dollars (`1999` → `19.99`, the same double JSON's `19.99` reads as). */
export function centsToPrice(cents: number): number {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`Cents must be an integer: ${cents}`);
  return cents / 100;
}

/** True when a price in cents can be charged by the payment provider. */
export function isChargeable(cents: number): boolean {
  return cents >= MIN_CHARGE_CENTS;
}
