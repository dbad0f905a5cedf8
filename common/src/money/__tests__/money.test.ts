import {
  centsToPrice,
  isChargeable,
  MAX_PRICE,
  MAX_PRICE_CENTS,
  MIN_CHARGE_CENTS,
  parsePrice,
  PRICE_MESSAGES,
  priceToCents,
} from '..';

describe('parsePrice', () => {
  it.each([
    [0.01, 1],
    [0.1, 10],
    [0.29, 29],
    [19.99, 1999],
    [5, 500],
    [999_999.99, 99_999_999],
    [1_000_000, 100_000_000],
  ])('reads %p as exactly %p cents', (price, cents) => {
    expect(parsePrice(price)).toEqual({ ok: true, cents });
  });

  it('reads every whole number of cents up to the maximum back exactly', () => {
    const wrong: number[] = [];
    for (let cents = 1; cents <= MAX_PRICE_CENTS; cents += 997) {
      const checked = parsePrice(cents / 100);
      if (!checked.ok || checked.cents !== cents) wrong.push(cents);
    }
    expect(wrong).toEqual([]);
  });

  it.each([
    [1e-17, PRICE_MESSAGES.notWholeCents],
    [5e-324, PRICE_MESSAGES.notWholeCents],
    [1e-9, PRICE_MESSAGES.notWholeCents],
    [0.001, PRICE_MESSAGES.notWholeCents],
    [0.004, PRICE_MESSAGES.notWholeCents],
    [0.005, PRICE_MESSAGES.notWholeCents],
    [10.005, PRICE_MESSAGES.notWholeCents],
    [0.1 + 0.2, PRICE_MESSAGES.notWholeCents],
    [0, PRICE_MESSAGES.notPositive],
    [-0, PRICE_MESSAGES.notPositive],
    [-5, PRICE_MESSAGES.notPositive],
    [MAX_PRICE + 0.01, PRICE_MESSAGES.tooLarge],
    [1e308, PRICE_MESSAGES.tooLarge],
    [Number.MAX_VALUE, PRICE_MESSAGES.tooLarge],
    [Infinity, PRICE_MESSAGES.notANumber],
    [NaN, PRICE_MESSAGES.notANumber],
    ['NaN', PRICE_MESSAGES.notANumber],
    ['10', PRICE_MESSAGES.notANumber],
    [null, PRICE_MESSAGES.notANumber],
    [undefined, PRICE_MESSAGES.notANumber],
  ])('refuses %p: %s', (price, message) => {
    expect(parsePrice(price)).toEqual({ ok: false, message });
  });
});

describe('priceToCents / centsToPrice', () => {
  it('converts both ways without floating-point drift', () => {
    expect([priceToCents(19.99), priceToCents(0.29), priceToCents(1_000_000)]).toEqual([
      1999, 29, 100_000_000,
    ]);
    expect([centsToPrice(1999), centsToPrice(29), centsToPrice(100_000_000)]).toEqual([
      19.99, 0.29, 1_000_000,
    ]);
  });

  it('throws rather than rounding a price that is not a whole number of cents', () => {
    expect(() => priceToCents(1e-17)).toThrow(RangeError);
  });

  it('throws on cents that are not an integer', () => {
    expect(() => centsToPrice(0.5)).toThrow(RangeError);
  });
});

describe('isChargeable', () => {
  it('charges from the provider minimum ($0.50) up', () => {
    expect([isChargeable(MIN_CHARGE_CENTS - 1), isChargeable(MIN_CHARGE_CENTS)]).toEqual([false, true]);
    expect(MIN_CHARGE_CENTS).toBe(50);
  });
});
