import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import { sandboxCharges, sandboxRefunds } from '../../db/schema';
import type { ChargeRequest } from '../payment-provider';
import { DatabaseSandboxLedger } from '../sandbox-ledger';
import { SandboxProvider } from '../sandbox-provider';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(() => db?.drop());

/** A sandbox as one start of payments makes it: its ledger in payments' database. */
function sandboxOfOneStart(): SandboxProvider {
  return new SandboxProvider(new DatabaseSandboxLedger(db.db));
}

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

async function chargedBy(provider: SandboxProvider, amountCents = 1999): Promise<string> {
  const result = await provider.charge(chargeRequest({ amountCents }));
  if (result.status !== 'succeeded') throw new Error('not charged');
  return result.chargeId;
}

describe('SandboxProvider with its ledger in the database', () => {
  it('replays a charge after a restart: same key, same charge id, charged once', async () => {
    const request = chargeRequest();
    const first = await sandboxOfOneStart().charge(request);

    const again = await sandboxOfOneStart().charge(request);

    expect(again).toEqual(first);
    expect(
      await db.db
        .select()
        .from(sandboxCharges)
        .where(eq(sandboxCharges.idempotencyKey, request.idempotencyKey)),
    ).toHaveLength(1);
  });

  it('replays a decline after a restart', async () => {
    const request = chargeRequest({ token: 'pm_card_chargeDeclined' });
    await sandboxOfOneStart().charge(request);

    const again = await sandboxOfOneStart().charge(request);

    expect(again).toEqual({ status: 'declined', message: 'Your card was declined.' });
  });

  it('refunds after a restart a charge made before it', async () => {
    const chargeId = await chargedBy(sandboxOfOneStart());

    const result = await sandboxOfOneStart().refund({
      chargeId,
      amountCents: 1999,
      idempotencyKey: `refund_${crypto.randomUUID()}`,
    });

    expect(result.refundId).toMatch(/^re_sandbox_/);
  });

  it('replays a refund after a restart: same key, same refund id, refunded once', async () => {
    const chargeId = await chargedBy(sandboxOfOneStart());
    const request = { chargeId, amountCents: 1999, idempotencyKey: `refund_${crypto.randomUUID()}` };
    const first = await sandboxOfOneStart().refund(request);

    const again = await sandboxOfOneStart().refund(request);

    expect(again).toEqual(first);
    expect(
      await db.db.select().from(sandboxRefunds).where(eq(sandboxRefunds.chargeId, chargeId)),
    ).toHaveLength(1);
  });

  it('refunds once for 10 concurrent requests with one key from different starts', async () => {
    const chargeId = await chargedBy(sandboxOfOneStart());
    const request = { chargeId, amountCents: 1999, idempotencyKey: `refund_${crypto.randomUUID()}` };

    const results = await Promise.all(Array.from({ length: 10 }, () => sandboxOfOneStart().refund(request)));

    expect(new Set(results.map((r) => r.refundId)).size).toBe(1);
    expect(
      await db.db.select().from(sandboxRefunds).where(eq(sandboxRefunds.chargeId, chargeId)),
    ).toHaveLength(1);
  });

  it('charges once for 10 concurrent requests with one key from different starts', async () => {
    const request = chargeRequest();

    const results = await Promise.all(Array.from({ length: 10 }, () => sandboxOfOneStart().charge(request)));

    expect(new Set(results.map((r) => (r.status === 'succeeded' ? r.chargeId : r.message))).size).toBe(1);
  });

  it('rejects a refund key reused with other parameters after a restart', async () => {
    const chargeId = await chargedBy(sandboxOfOneStart());
    const idempotencyKey = `refund_${crypto.randomUUID()}`;
    await sandboxOfOneStart().refund({ chargeId, amountCents: 999, idempotencyKey });

    await expect(sandboxOfOneStart().refund({ chargeId, amountCents: 1000, idempotencyKey })).rejects.toThrow(
      /same parameters/,
    );
  });

  it('refuses to refund more than the charge took, under another key', async () => {
    const chargeId = await chargedBy(sandboxOfOneStart());
    await sandboxOfOneStart().refund({
      chargeId,
      amountCents: 1999,
      idempotencyKey: `refund_${crypto.randomUUID()}`,
    });

    await expect(
      sandboxOfOneStart().refund({
        chargeId,
        amountCents: 1,
        idempotencyKey: `refund_${crypto.randomUUID()}`,
      }),
    ).rejects.toThrow(/greater than/);
  });

  it('refuses to refund a charge it did not make', async () => {
    await expect(
      sandboxOfOneStart().refund({
        chargeId: 'ch_sandbox_unknown',
        amountCents: 1,
        idempotencyKey: `refund_${crypto.randomUUID()}`,
      }),
    ).rejects.toThrow(/No such charge/);
  });
});
