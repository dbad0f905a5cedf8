/** Prices travel as dollars with at most 2 decimals (`19.99`) and are stored as integer cents. */

/** Dollars → integer cents (`19.99` → `1999`; rounding only absorbs binary floating-point noise). */
export function toCents(price: number): number {
  return Math.round(price * 100);
}

/** Integer cents → dollars (`1999` → `19.99`). */
export function fromCents(cents: number): number {
  return cents / 100;
}

/**
 * True when `price` has at most 2 decimals (19.99 yes, 19.999 no). `19.99 * 100` is 1998.9999999999998,
 * so a few units of relative floating-point error are allowed, never an absolute amount: that would let
 * a tiny price such as 1e-9 pass and round to 0 cents.
 */
export function hasAtMostTwoDecimals(price: number): boolean {
  const cents = price * 100;
  return Math.abs(cents - Math.round(cents)) <= 8 * Number.EPSILON * Math.max(1, Math.abs(cents));
}
