/** Money is integer cents in the database and a number with at most 2 decimals in the API and events. */

/** 1999 → 19.99 */
export function centsToPrice(cents: number): number {
  return cents / 100;
}

/** 19.99 → 1999 (rounded: 19.99 * 100 is 1998.9999999999998 in floating point). */
export function priceToCents(price: number): number {
  return Math.round(price * 100);
}
