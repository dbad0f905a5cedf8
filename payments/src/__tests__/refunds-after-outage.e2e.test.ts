/**
 * Refunds owed while the provider is down, with payments as its own process (`src/main.ts`, as a
 * deployment runs it) charging through the Stripe adapter pointed at the local fake Stripe,
 * which the test tells to refuse refunds or to lose its answers; payments is killed with SIGKILL
 * in between.
 */
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { NatsConnection } from '@nats-io/transport-node';
import { messagingTables } from '@ticketing/common';
import {
  publishTestEvent,
  sessionCookie,
  startMain,
  startMessagingFixture,
  waitFor,
  type MainProcess,
  type NatsServerHandle,
  type TestDatabase,
} from '@ticketing/common/testing';
import { orders, payments, refunds } from '../db/schema';
import { startFakeStripe, type FakeStripeServer } from './fake-stripe-server';
import { announceOrder, jwtKey } from './helpers';

const serviceDir = path.join(__dirname, '..', '..');
let db: TestDatabase;
let nats: NatsServerHandle;
let ordersNc: NatsConnection;
let stripe: FakeStripeServer;
let teardown: () => Promise<void>;
const started: MainProcess[] = [];

beforeAll(async () => {
  ({ db, nats, stop: teardown } = await startMessagingFixture('payments'));
  ordersNc = await nats.connect('orders');
  stripe = await startFakeStripe();
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((main) => main.stop('SIGKILL')));
  stripe.setRefundMode('succeed');
});

afterAll(async () => {
  await ordersNc?.close();
  await stripe?.close();
  await teardown?.();
});

/** payments as a deployment starts it, with Stripe at the fake and short refund timings. */
async function startPayments(env: Record<string, string> = {}): Promise<{ main: MainProcess; url: string }> {
  const main = startMain(serviceDir, {
    DATABASE_URL: db.url,
    ...nats.env('payments'),
    PORT: '0',
    JWT_KEY: jwtKey,
    STRIPE_SECRET_KEY: 'sk_test_fake',
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: String(stripe.port),
    STRIPE_API_PROTOCOL: 'http',
    REFUND_INTERVAL_MS: '50',
    REFUND_RETRY_BASE_MS: '50',
    REFUND_RETRY_MAX_MS: '400',
    // A claim by a killed process is taken over soon (a real call to the fake takes milliseconds).
    REFUND_CLAIM_LEASE_MS: '1000',
    ...env,
  });
  started.push(main);
  return { main, url: await main.url(60_000) };
}

/** An order the replica learned from order.created, paid through POST /api/payments. */
async function paidOrder(url: string) {
  const { orderId, userId, ticketId } = await announceOrder(ordersNc, db.db, {
    price: 25,
    expiresInMs: 5 * 60_000,
  });
  const res = await fetch(`${url}/api/payments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: sessionCookie(jwtKey, { id: userId }) },
    body: JSON.stringify({ orderId, token: 'pm_card_visa' }),
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const [payment] = await db.db.select().from(payments).where(eq(payments.id, id));
  return { orderId, ticketId, payment: payment! };
}

function cancel(order: { orderId: string; ticketId: string }) {
  return publishTestEvent(ordersNc, 'order.cancelled', {
    id: order.orderId,
    version: 1,
    ticket: { id: order.ticketId },
  });
}

async function refundOf(paymentId: string) {
  const [refund] = await db.db.select().from(refunds).where(eq(refunds.paymentId, paymentId));
  return refund;
}

describe('a payment whose order is cancelled while the provider refuses refunds', () => {
  it('is refunded exactly once after the provider is back, though payments was killed twice meanwhile', async () => {
    let payments1 = await startPayments();
    const order = await paidOrder(payments1.url);
    const chargeId = order.payment.providerChargeId!;
    stripe.setRefundMode('refuse');

    await cancel(order);

    // The cancellation is applied at once, with the refund owed, though every refund attempt fails.
    const [replica] = await waitFor(
      () =>
        db.db
          .select()
          .from(orders)
          .where(eq(orders.id, order.orderId))
          .then((r) => (r[0]?.status === 'cancelled' ? r : undefined)),
      { what: 'the cancellation' },
    );
    expect(replica).toMatchObject({ status: 'cancelled', version: 1 });
    const failing = await waitFor(
      async () => {
        const refund = await refundOf(order.payment.id);
        return refund && refund.attempts >= 2 ? refund : undefined;
      },
      { what: 'refund attempts the provider refused' },
    );
    expect(failing).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/unavailable/) });
    expect(await db.db.select().from(messagingTables.deadLetters)).toEqual([]);

    // Killed while the provider is down.
    await payments1.main.stop('SIGKILL');
    const payments2 = await startPayments();
    // The provider is back and refunds, but its answer is lost: killed before it arrives.
    stripe.setRefundMode('hold-answer');
    await waitFor(() => stripe.refunds().some((r) => r.paymentIntent === chargeId), {
      what: 'the refund made by the provider',
      timeoutMs: 30_000,
    });
    await payments2.main.stop('SIGKILL');
    stripe.setRefundMode('succeed');
    payments1 = await startPayments();

    const refunded = await waitFor(
      () =>
        db.db
          .select()
          .from(payments)
          .where(eq(payments.id, order.payment.id))
          .then((r) => (r[0]?.status === 'refunded' ? r[0] : undefined)),
      { what: 'the payment refunded', timeoutMs: 30_000 },
    );
    const made = stripe.refunds().filter((r) => r.paymentIntent === chargeId);
    expect(made).toEqual([
      {
        id: refunded.refundId,
        paymentIntent: chargeId,
        amount: 2500,
        idempotencyKey: `refund_${order.payment.id}`,
      },
    ]);
    expect(await refundOf(order.payment.id)).toMatchObject({
      status: 'succeeded',
      providerRefundId: refunded.refundId,
    });
  });
});

describe('a refund pending longer than REFUND_PENDING_WARN_SECONDS', () => {
  it('is counted on /metrics and logged as a warning', async () => {
    const { main, url } = await startPayments({ REFUND_PENDING_WARN_SECONDS: '1' });
    const order = await paidOrder(url);
    stripe.setRefundMode('refuse');

    await cancel(order);

    const metrics = await waitFor(
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return /^refunds_overdue\{[^}]*\} 1$/m.test(text) ? text : undefined;
      },
      { what: 'refunds_overdue 1', timeoutMs: 30_000 },
    );
    expect(metrics).toMatch(/^refunds_pending\{[^}]*\} 1$/m);
    expect(metrics).toMatch(/^refund_attempts_total\{outcome="failed"[^}]*\} [1-9]/m);
    const warning = await waitFor(
      () =>
        main.output.stdout
          .split('\n')
          .filter((line) => line.includes('refund pending longer than REFUND_PENDING_WARN_SECONDS'))
          .map((line) => JSON.parse(line) as Record<string, unknown>)[0],
      { what: 'the warning' },
    );
    expect(warning).toMatchObject({ level: 'warn', paymentId: order.payment.id, orderId: order.orderId });
  });
});
