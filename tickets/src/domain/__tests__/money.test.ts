import { fromCents, hasAtMostTwoDecimals, toCents } from '../money';

describe('money', () => {
  it('converts dollars with 2 decimals to exact cents despite binary floating point', () => {
    expect([toCents(19.99), toCents(0.29), toCents(1_000_000), toCents(0.01)]).toEqual([
      1999, 29, 100_000_000, 1,
    ]);
  });

  it('converts cents back to the same dollars', () => {
    expect([fromCents(1999), fromCents(29), fromCents(100_000_000)]).toEqual([19.99, 0.29, 1_000_000]);
  });

  it('accepts every price with at most 2 decimals, up to 1,000,000', () => {
    const rejected: number[] = [];
    for (let cents = 1; cents <= 100_000_000; cents += 997)
      if (!hasAtMostTwoDecimals(cents / 100)) rejected.push(cents);
    expect(rejected).toEqual([]);
    expect([19.99, 0.1, 5, 999_999.99, 1_000_000].map(hasAtMostTwoDecimals)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('rejects more than 2 decimals, however small the price', () => {
    expect([19.999, 0.001, 10.005, 1e-7, 1e-9, 5e-10].map(hasAtMostTwoDecimals)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
