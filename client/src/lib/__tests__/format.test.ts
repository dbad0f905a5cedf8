import { formatCountdown, formatPrice, isPayable, statusLabel } from '../format';

describe('formatCountdown', () => {
  it.each([
    [15 * 60 * 1000, '15:00'],
    [61_000, '1:01'],
    [59_001, '1:00'],
    [9_000, '0:09'],
    [1, '0:01'],
    [0, '0:00'],
    [-5_000, '0:00'],
    [3_723_000, '1:02:03'],
  ])('formats %p ms as %p', (ms, text) => {
    expect(formatCountdown(ms)).toBe(text);
  });
});

describe('formatPrice', () => {
  it('shows dollars with two decimals', () => {
    expect(formatPrice(19.9)).toBe('$19.90');
    expect(formatPrice(1000000)).toBe('$1,000,000.00');
  });
});

describe('isPayable', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('is payable while open and before expiry', () => {
    expect(isPayable('created', '2026-01-01T12:00:01Z', now)).toBe(true);
    expect(isPayable('awaiting:payment', '2026-01-01T12:10:00Z', now)).toBe(true);
  });
  it('is not payable at or after expiry, or once complete or cancelled', () => {
    expect(isPayable('created', '2026-01-01T12:00:00Z', now)).toBe(false);
    expect(isPayable('complete', '2026-01-01T12:10:00Z', now)).toBe(false);
    expect(isPayable('cancelled', '2026-01-01T12:10:00Z', now)).toBe(false);
  });
});

describe('statusLabel', () => {
  it('names every order status', () => {
    expect(['created', 'awaiting:payment', 'complete', 'cancelled'].map(statusLabel)).toEqual([
      'Awaiting payment',
      'Awaiting payment',
      'Complete',
      'Cancelled',
    ]);
  });
});
