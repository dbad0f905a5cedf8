import crypto from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { createLogger, silentLogger } from '@ticketing/common';
import { createTestDatabase, waitFor, type TestDatabase } from '@ticketing/common/testing';
import { orders, payments, refunds, type Payment, type Refund } from '../../db/schema';
import {
  ProviderCallInTransactionError,
  SandboxProvider,
  outsideTransactionsOnly,
  type ChargeRequest,
  type PaymentProvider,
  type RefundRequest,
} from '../../providers';
import { buildOrder } from '../../__tests__/helpers';
import { idempotencyKeyFor } from '../payment-attempts';
import {
  claimDueRefund,
  recordRefundsOwed,
  refundKeyFor,
  refundRetryDelayMs,
  workOffDueRefunds,
  type RefundRetryPolicy,
} from '../refunds';

/** The sandbox, able to refuse refunds (the provider down) and to hold them in flight. */
class FlakyProvider implements PaymentProvider {
  readonly sandbox = new SandboxProvider();
  refuseRefunds = false;
  /** When set, refund calls wait for it after the sandbox has refunded (an answer still on its way). */
  holdAnswers?: Promise<void>;

  charge(request: ChargeRequest) {
    return this.sandbox.charge(request);
  }

  async refund(request: RefundRequest) {
    if (this.refuseRefunds) throw new Error('provider unavailable');
    const result = await this.sandbox.refund(request);
    await this.holdAnswers;
    return result;
  }
}

const policy: RefundRetryPolicy = { baseDelayMs: 1000, maxDelayMs: 8000, leaseMs: 60_000 };
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

// Each test's rounds see only its own refunds: what a test leaves pending is parked.
afterEach(() =>
  db.db
    .update(refunds)
    .set({ nextAttemptAt: sql`now() + interval '1 day'` })
    .where(eq(refunds.status, 'pending')),
);

afterAll(() => db?.drop());

/** A payment the sandbox charged for an order that was then cancelled, with its refund owed. */
async function owedRefund(provider: FlakyProvider): Promise<{ payment: Payment; refund: Refund }> {
  const order = await buildOrder(db.db);
  const id = crypto.randomUUID();
  const idempotencyKey = idempotencyKeyFor(order.id, id);
  const charged = await provider.sandbox.charge({
    amountCents: order.priceCents,
    currency: 'usd',
    token: 'tok_visa',
    idempotencyKey,
    description: `Ticketing order ${order.id}`,
  });
  if (charged.status !== 'succeeded') throw new Error('expected the sandbox to charge');
  const [payment] = await db.db
    .insert(payments)
    .values({
      id,
      orderId: order.id,
      status: 'succeeded',
      amountCents: order.priceCents,
      token: 'tok_visa',
      idempotencyKey,
      providerChargeId: charged.chargeId,
      attemptedAt: new Date(),
    })
    .returning();
  await db.db.update(orders).set({ status: 'cancelled' }).where(eq(orders.id, order.id));
  const [refund] = await db.db.transaction((tx) => recordRefundsOwed(tx, order.id, silentLogger()));
  return { payment: payment!, refund: refund! };
}

function rowOf(paymentId: string) {
  return Promise.all([
    db.db.select().from(refunds).where(eq(refunds.paymentId, paymentId)),
    db.db.select().from(payments).where(eq(payments.id, paymentId)),
  ]).then(([[refund], [payment]]) => ({ refund: refund!, payment: payment! }));
}

/** Makes a backed-off refund due now (instead of waiting out its backoff). */
function makeDue(paymentId: string) {
  return db.db
    .update(refunds)
    .set({ nextAttemptAt: sql`now()` })
    .where(eq(refunds.paymentId, paymentId));
}

/** One round of the worker (other tests' refunds are parked). */
function round(
  provider: PaymentProvider,
  options: { warnAfterMs?: number; logger?: ReturnType<typeof silentLogger> } = {},
) {
  return workOffDueRefunds(db.db, outsideTransactionsOnly(provider), options.logger ?? silentLogger(), {
    policy,
    warnAfterMs: options.warnAfterMs ?? 60_000,
  });
}

describe('refund worker', () => {
  it('refunds an owed refund in full with its key and marks the refund and the payment refunded', async () => {
    const provider = new FlakyProvider();
    const { payment } = await owedRefund(provider);

    const result = await round(provider);

    expect(result).toEqual({ refunded: 1, failed: 0 });
    const { refund, payment: paid } = await rowOf(payment.id);
    expect(provider.sandbox.refunds).toEqual([
      {
        idempotencyKey: refundKeyFor(payment.id),
        chargeId: payment.providerChargeId,
        amountCents: payment.amountCents,
        refundId: refund.providerRefundId,
      },
    ]);
    expect(refund).toMatchObject({ status: 'succeeded', attempts: 1, lastError: null });
    expect(paid).toMatchObject({ status: 'refunded', refundId: refund.providerRefundId });
    expect(paid.refundedAt).toEqual(refund.refundedAt);
  });

  it('keeps a refund the provider refuses pending, with the error and a backed-off next attempt', async () => {
    const provider = new FlakyProvider();
    const { payment } = await owedRefund(provider);
    provider.refuseRefunds = true;

    const result = await round(provider);

    expect(result).toEqual({ refunded: 0, failed: 1 });
    const { refund, payment: still } = await rowOf(payment.id);
    expect(refund).toMatchObject({ status: 'pending', attempts: 1, lastError: 'provider unavailable' });
    const [{ waitMs }] = (
      await db.db.execute(
        sql`select extract(epoch from ${refund.nextAttemptAt}::timestamptz - now()) * 1000 as "waitMs"`,
      )
    ).rows as { waitMs: number }[];
    expect(Number(waitMs)).toBeGreaterThan(0);
    expect(Number(waitMs)).toBeLessThanOrEqual(policy.baseDelayMs);
    expect(still.status).toBe('succeeded');
    // Not due again before its backoff is over.
    expect(await round(provider)).toEqual({ refunded: 0, failed: 0 });
  });

  it('refunds once the provider is back, after any number of refusals', async () => {
    const provider = new FlakyProvider();
    const { payment } = await owedRefund(provider);
    provider.refuseRefunds = true;
    for (let i = 0; i < 3; i++) {
      await round(provider);
      await makeDue(payment.id);
    }
    provider.refuseRefunds = false;

    await round(provider);

    const { refund, payment: paid } = await rowOf(payment.id);
    expect(refund).toMatchObject({ status: 'succeeded', attempts: 4 });
    expect(paid.status).toBe('refunded');
    expect(provider.sandbox.refunds).toHaveLength(1);
  });

  it('leaves a refund claimed by another worker alone while its lease runs', async () => {
    const provider = new FlakyProvider();
    const { payment } = await owedRefund(provider);
    const claimed = await claimDueRefund(db.db, policy.leaseMs);
    expect(claimed?.paymentId).toBe(payment.id);

    expect(await round(provider)).toEqual({ refunded: 0, failed: 0 });
    expect(provider.sandbox.refunds).toEqual([]);
  });

  it('refunds once when the worker that made the refund died before recording it', async () => {
    const provider = new FlakyProvider();
    const { payment } = await owedRefund(provider);
    // The dead worker: claimed the refund, the provider refunded, the process died before recording it.
    const claimed = await claimDueRefund(db.db, policy.leaseMs);
    await provider.sandbox.refund({
      chargeId: claimed!.chargeId,
      amountCents: claimed!.amountCents,
      idempotencyKey: claimed!.idempotencyKey,
    });
    await makeDue(payment.id); // its lease is over

    await round(provider);

    const { refund, payment: paid } = await rowOf(payment.id);
    expect(refund).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(paid.status).toBe('refunded');
    expect(provider.sandbox.refunds).toEqual([
      expect.objectContaining({ refundId: refund.providerRefundId, chargeId: payment.providerChargeId }),
    ]);
  });

  it('refunds each payment once when two workers run at the same time', async () => {
    const provider = new FlakyProvider();
    const owed = await Promise.all(Array.from({ length: 6 }, () => owedRefund(provider)));
    let release!: () => void;
    provider.holdAnswers = new Promise<void>((resolve) => (release = resolve));

    const rounds = Promise.all([round(provider), round(provider)]);
    await waitFor(() => (provider.sandbox.refunds.length >= 2 ? true : undefined), {
      what: 'both workers refunding',
    });
    release();
    const [a, b] = await rounds;

    expect(a.refunded + b.refunded).toBe(6);
    expect(a.refunded).toBeGreaterThan(0);
    expect(b.refunded).toBeGreaterThan(0);
    const charges = owed.map(({ payment }) => payment.providerChargeId);
    expect(provider.sandbox.refunds.map((r) => r.chargeId).sort()).toEqual([...charges].sort());
  });

  it('warns when a refund has been pending longer than the threshold', async () => {
    const provider = new FlakyProvider();
    const { payment } = await owedRefund(provider);
    await db.db
      .update(refunds)
      .set({ createdAt: sql`now() - interval '2 hours'` })
      .where(eq(refunds.paymentId, payment.id));
    provider.refuseRefunds = true;
    const lines: { level: string; msg: string; paymentId?: string; attempts?: number }[] = [];
    const logger = createLogger({
      service: 'payments',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });

    await round(provider, { warnAfterMs: 3600_000, logger });

    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'refund pending longer than REFUND_PENDING_WARN_SECONDS',
        paymentId: payment.id,
        attempts: 1,
      }),
    );
  });

  it('fails a refund attempted inside a transaction, before the provider is called', async () => {
    const provider = new FlakyProvider();
    const { payment } = await owedRefund(provider);

    const inside = db.db.transaction(() => round(provider));

    await expect(inside).rejects.toThrow(ProviderCallInTransactionError);
    expect(provider.sandbox.refunds).toEqual([]);
    expect((await rowOf(payment.id)).payment.status).toBe('succeeded');
  });
});

describe('refundRetryDelayMs', () => {
  it('doubles the wait with each failed attempt, up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 50].map((attempts) => refundRetryDelayMs(attempts, policy));

    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000, 8000]);
  });
});
