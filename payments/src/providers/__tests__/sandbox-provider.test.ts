import crypto from 'node:crypto';
import type { ChargeRequest } from '../payment-provider';
import { SandboxProvider } from '../sandbox-provider';

function chargeRequest(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    amountCents: 1999,
    currency: 'usd',
    token: 'tok_visa',
    idempotencyKey: `order_${crypto.randomUUID()}_attempt_${crypto.randomUUID()}`,
    description: 'Ticketing order',
    ...overrides,
  };
}

describe('SandboxProvider', () => {
  it.each(['tok_visa', 'pm_card_visa', 'pm_card_mastercard', 'tok_amex'])('charges %s', async (token) => {
    const provider = new SandboxProvider();

    const result = await provider.charge(chargeRequest({ token }));

    expect(result).toEqual({ status: 'succeeded', chargeId: expect.stringMatching(/^ch_sandbox_[0-9a-f]{24}$/) });
  });

  it.each([
    ['pm_card_chargeDeclined', 'Your card was declined.'],
    ['tok_chargeDeclined', 'Your card was declined.'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'Your card has insufficient funds.'],
    ['tok_chargeDeclinedExpiredCard', 'Your card has expired.'],
  ])('declines %s', async (token, message) => {
    const provider = new SandboxProvider();

    expect(await provider.charge(chargeRequest({ token }))).toEqual({ status: 'declined', message });
  });

  it('declines a token it does not know', async () => {
    const provider = new SandboxProvider();

    expect(await provider.charge(chargeRequest({ token: 'pm_1NotATestCard' }))).toEqual({
      status: 'declined',
      message: "No such PaymentMethod: 'pm_1NotATestCard'",
    });
  });

  it('replays the first result for a repeated idempotency key and charges once', async () => {
    const provider = new SandboxProvider();
    const request = chargeRequest();

    const first = await provider.charge(request);
    const second = await provider.charge(request);

    expect(second).toEqual(first);
    expect(provider.charges).toHaveLength(1);
  });

  it('rejects an idempotency key reused with other parameters', async () => {
    const provider = new SandboxProvider();
    const request = chargeRequest();
    await provider.charge(request);

    await expect(provider.charge({ ...request, amountCents: 1 })).rejects.toThrow(/same parameters/);
    expect(provider.charges).toHaveLength(1);
  });
});
