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

    expect(result).toEqual({
      status: 'succeeded',
      chargeId: expect.stringMatching(/^ch_sandbox_[0-9a-f]{24}$/),
    });
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

  describe('refund', () => {
    async function charged(provider: SandboxProvider, amountCents = 1999): Promise<string> {
      const result = await provider.charge(chargeRequest({ amountCents }));
      if (result.status !== 'succeeded') throw new Error('not charged');
      return result.chargeId;
    }

    it('refunds a charge it made and records the refund', async () => {
      const provider = new SandboxProvider();
      const chargeId = await charged(provider);

      const result = await provider.refund({ chargeId, amountCents: 1999, idempotencyKey: 'refund_1' });

      expect(result).toEqual({ refundId: expect.stringMatching(/^re_sandbox_[0-9a-f]{24}$/) });
      expect(provider.refunds).toEqual([
        { idempotencyKey: 'refund_1', chargeId, amountCents: 1999, refundId: result.refundId },
      ]);
    });

    it('replays the first result for a repeated idempotency key and refunds once', async () => {
      const provider = new SandboxProvider();
      const chargeId = await charged(provider);
      const request = { chargeId, amountCents: 1999, idempotencyKey: 'refund_1' };

      const first = await provider.refund(request);
      const second = await provider.refund(request);

      expect(second).toEqual(first);
      expect(provider.refunds).toHaveLength(1);
    });

    it('rejects an idempotency key reused with other parameters', async () => {
      const provider = new SandboxProvider();
      const chargeId = await charged(provider);
      await provider.refund({ chargeId, amountCents: 999, idempotencyKey: 'refund_1' });

      await expect(
        provider.refund({ chargeId, amountCents: 1000, idempotencyKey: 'refund_1' }),
      ).rejects.toThrow(/same parameters/);
      expect(provider.refunds).toHaveLength(1);
    });

    it('refuses to refund a charge it did not make', async () => {
      const provider = new SandboxProvider();

      await expect(
        provider.refund({ chargeId: 'ch_sandbox_unknown', amountCents: 1, idempotencyKey: 'refund_1' }),
      ).rejects.toThrow(/No such charge/);
      expect(provider.refunds).toHaveLength(0);
    });

    it('refuses to refund a declined charge', async () => {
      const provider = new SandboxProvider();
      await provider.charge(chargeRequest({ token: 'pm_card_chargeDeclined' }));

      await expect(
        provider.refund({ chargeId: 'ch_sandbox_declined', amountCents: 1, idempotencyKey: 'refund_1' }),
      ).rejects.toThrow();
    });

    it('refuses to refund more than the charge took, under another key', async () => {
      const provider = new SandboxProvider();
      const chargeId = await charged(provider, 1999);
      await provider.refund({ chargeId, amountCents: 1999, idempotencyKey: 'refund_1' });

      await expect(
        provider.refund({ chargeId, amountCents: 1999, idempotencyKey: 'refund_2' }),
      ).rejects.toThrow(/greater than/);
      expect(provider.refunds).toHaveLength(1);
    });
  });
});
