import crypto from 'node:crypto';
import { silentLogger } from '@ticketing/common';
import { createTestDatabase, waitFor, type TestDatabase } from '@ticketing/common/testing';
import { payments, type Order, type Payment, type PaymentStatus } from '../../db/schema';
import {
  SandboxProvider,
  outsideTransactionsOnly,
  type ChargeRequest,
  type PaymentProvider,
  type RefundRequest,
} from '../../providers';
import { startReconciler } from '../../reconciler';
import { startRefundWorker } from '../../refund-worker';
import { buildOrder, paymentCreatedEvents, paymentsOf } from '../../__tests__/helpers';
import { idempotencyKeyFor } from '../payment-attempts';
import { reconcileStaleAttempts } from '../reconcile';
import { refundKeyFor } from '../refunds';

/** The sandbox, counting every charge call (replays included) and able to fail or hold charges. */
class CountingProvider implements PaymentProvider {
  readonly sandbox = new SandboxProvider();
  /** The idempotency key of every charge call, in order. */
  readonly chargeCalls: string[] = [];
  failCharges = false;
  /** When set, charges wait for it. */
  hold?: Promise<void>;
  /** Each charge takes this long (so concurrent rounds overlap). */
  delayMs = 0;

  async charge(request: ChargeRequest) {
    this.chargeCalls.push(request.idempotencyKey);
    if (this.failCharges) throw new Error('provider unavailable');
    await this.hold;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return this.sandbox.charge(request);
  }

  refund(request: RefundRequest) {
    return this.sandbox.refund(request);
  }
}

let db: TestDatabase;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

afterAll(() => db?.drop());

function reconciler(provider: PaymentProvider) {
  // As payments wraps its provider: a provider call inside a transaction fails the test.
  const r = startReconciler({
    db: db.db,
    provider: outsideTransactionsOnly(provider),
    logger: silentLogger(),
    intervalMs: 10,
  });
  stops.push(() => r.stop());
  return r;
}

/** The refund worker, which makes the refunds the reconciler leaves owed. */
function refundWorker(provider: PaymentProvider) {
  const w = startRefundWorker({
    db: db.db,
    provider: outsideTransactionsOnly(provider),
    logger: silentLogger(),
    intervalMs: 10,
    policy: { baseDelayMs: 10, maxDelayMs: 100, leaseMs: 60_000 },
    warnAfterMs: 60_000,
  });
  stops.push(() => w.stop());
  return w;
}

/** A pending attempt whose process died `ageMs` ago, between the provider call and recording it. */
async function pendingAttempt(
  order: Order,
  options: { token?: string; ageMs?: number } = {},
): Promise<Payment> {
  const id = crypto.randomUUID();
  const [row] = await db.db
    .insert(payments)
    .values({
      id,
      orderId: order.id,
      status: 'pending',
      amountCents: order.priceCents,
      token: options.token ?? 'tok_visa',
      idempotencyKey: idempotencyKeyFor(order.id, id),
      attemptedAt: new Date(Date.now() - (options.ageMs ?? 5 * 60_000)),
    })
    .returning();
  return row!;
}

/** The charge the dead process made before it could record it (same request as payOrder sends). */
async function chargedBeforeTheCrash(provider: CountingProvider, attempt: Payment): Promise<string> {
  const result = await provider.sandbox.charge({
    amountCents: attempt.amountCents,
    currency: 'usd',
    token: attempt.token,
    idempotencyKey: attempt.idempotencyKey,
    description: `Ticketing order ${attempt.orderId}`,
  });
  if (result.status !== 'succeeded') throw new Error('expected the sandbox to charge');
  return result.chargeId;
}

async function statusOf(attempt: Payment) {
  const rows = await paymentsOf(db.db, attempt.orderId);
  return rows.find((p) => p.id === attempt.id)!;
}

/** Waits for the attempt to reach `status` (on a cancelled order, 'succeeded' is only a step before 'refunded'). */
function settled(attempt: Payment, status: PaymentStatus) {
  return waitFor(
    async () => {
      const row = await statusOf(attempt);
      return row.status === status ? row : undefined;
    },
    { what: `attempt ${attempt.id} ${status}` },
  );
}

describe('reconciler, for a stale pending attempt on a cancelled order', () => {
  it('refunds a charge the provider had made under its key and marks the attempt refunded', async () => {
    const provider = new CountingProvider();
    const order = await buildOrder(db.db, { status: 'cancelled' });
    const attempt = await pendingAttempt(order);
    const chargeId = await chargedBeforeTheCrash(provider, attempt);

    reconciler(provider);
    refundWorker(provider);
    const row = await settled(attempt, 'refunded');

    expect(row).toMatchObject({
      status: 'refunded',
      providerChargeId: chargeId,
      refundId: expect.stringMatching(/^re_sandbox_/),
    });
    expect(provider.sandbox.charges).toHaveLength(1);
    expect(provider.sandbox.refunds).toEqual([
      {
        idempotencyKey: refundKeyFor(attempt.id),
        chargeId,
        amountCents: order.priceCents,
        refundId: row.refundId,
      },
    ]);
    expect(await paymentCreatedEvents(db.db, order.id)).toEqual([]);
  });

  it('charges and refunds one whose charge never reached the provider, so no charge is left standing', async () => {
    const provider = new CountingProvider();
    const order = await buildOrder(db.db, { status: 'cancelled' });
    const attempt = await pendingAttempt(order);

    reconciler(provider);
    refundWorker(provider);
    const row = await settled(attempt, 'refunded');

    expect(row).toMatchObject({
      status: 'refunded',
      providerChargeId: expect.stringMatching(/^ch_sandbox_/),
    });
    expect(provider.sandbox.charges).toEqual([
      expect.objectContaining({ idempotencyKey: attempt.idempotencyKey }),
    ]);
    expect(provider.sandbox.refunds).toEqual([
      expect.objectContaining({ chargeId: row.providerChargeId, amountCents: order.priceCents }),
    ]);
    expect(await paymentCreatedEvents(db.db, order.id)).toEqual([]);
  });

  it('closes one whose card is declined, with no refund', async () => {
    const provider = new CountingProvider();
    const order = await buildOrder(db.db, { status: 'cancelled' });
    const attempt = await pendingAttempt(order, { token: 'pm_card_chargeDeclined' });

    reconciler(provider);
    const row = await settled(attempt, 'declined');

    expect(row).toMatchObject({ status: 'declined', failureMessage: 'Your card was declined.' });
    expect(provider.sandbox.refunds).toEqual([]);
  });
});

describe('reconciler, for a stale pending attempt on a payable order', () => {
  it('records the charge the provider had made and commits exactly one payment.created', async () => {
    const provider = new CountingProvider();
    const order = await buildOrder(db.db);
    const attempt = await pendingAttempt(order);
    const chargeId = await chargedBeforeTheCrash(provider, attempt);

    reconciler(provider);
    const row = await settled(attempt, 'succeeded');

    expect(row).toMatchObject({ status: 'succeeded', providerChargeId: chargeId });
    expect(provider.sandbox.charges).toHaveLength(1);
    const events = await paymentCreatedEvents(db.db, order.id);
    expect(events.map((e) => e.data)).toEqual([{ id: attempt.id, orderId: order.id, stripeId: chargeId }]);
  });

  it('leaves the attempt pending when the provider fails, for a round after the stale window', async () => {
    const provider = new CountingProvider();
    provider.failCharges = true;
    const order = await buildOrder(db.db);
    const attempt = await pendingAttempt(order);

    const first = await reconcileStaleAttempts(db.db, outsideTransactionsOnly(provider), silentLogger());
    const second = await reconcileStaleAttempts(db.db, outsideTransactionsOnly(provider), silentLogger());

    expect(first).toEqual({ settled: 0, failed: 1 });
    // Claimed (its lease renewed), so not retried before it is stale again.
    expect(second).toEqual({ settled: 0, failed: 0 });
    const row = await statusOf(attempt);
    expect(row.status).toBe('pending');
    expect(row.attemptedAt.getTime()).toBeGreaterThan(attempt.attemptedAt.getTime());
    expect(await paymentCreatedEvents(db.db, order.id)).toEqual([]);
  });
});

describe('reconciler, for a fresh pending attempt', () => {
  it('leaves it alone', async () => {
    const provider = new CountingProvider();
    const fresh = await pendingAttempt(await buildOrder(db.db), { ageMs: 0 });
    // A stale attempt settled after the fresh one was written shows that a full round has run.
    const marker = await pendingAttempt(await buildOrder(db.db));

    reconciler(provider);
    await settled(marker, 'succeeded');

    expect(await statusOf(fresh)).toMatchObject({ status: 'pending', attemptedAt: fresh.attemptedAt });
    expect(provider.chargeCalls).not.toContain(fresh.idempotencyKey);
  });
});

describe('reconcilers on several replicas', () => {
  it('settle each stale attempt once when two run at once', async () => {
    const provider = new CountingProvider();
    provider.delayMs = 5;
    const attempts = await Promise.all(
      Array.from({ length: 8 }, async () => pendingAttempt(await buildOrder(db.db))),
    );

    reconciler(provider);
    reconciler(provider);
    const rows = await Promise.all(attempts.map((a) => settled(a, 'succeeded')));

    expect(rows.map((r) => r.status)).toEqual(attempts.map(() => 'succeeded'));
    expect([...provider.chargeCalls].sort()).toEqual(attempts.map((a) => a.idempotencyKey).sort());
    for (const attempt of attempts) {
      expect(await paymentCreatedEvents(db.db, attempt.orderId)).toHaveLength(1);
    }
  });
});

describe('reconciler stop', () => {
  it('waits for the attempt in flight to be settled', async () => {
    const provider = new CountingProvider();
    let release!: () => void;
    provider.hold = new Promise((resolve) => (release = resolve));
    const attempt = await pendingAttempt(await buildOrder(db.db));
    const r = reconciler(provider);
    await waitFor(() => provider.chargeCalls.includes(attempt.idempotencyKey), {
      what: 'the charge in flight',
    });

    let stopped = false;
    const stopping = r.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;

    expect((await statusOf(attempt)).status).toBe('succeeded');
  });
});
