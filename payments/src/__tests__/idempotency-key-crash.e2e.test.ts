import crypto from 'node:crypto';
import path from 'node:path';
import {
  sessionCookie,
  startMain,
  startMessagingFixture,
  waitFor,
  type MainProcess,
  type NatsServerHandle,
  type TestDatabase,
} from '@ticketing/common/testing';
import { startFakeStripe, type FakeStripeServer } from './fake-stripe-server';
import { buildOrder, jwtKey, paymentCreatedEvents, paymentsOf } from './helpers';

const serviceDir = path.join(__dirname, '..', '..');

let db: TestDatabase;
let nats: NatsServerHandle;
let teardown: () => Promise<void>;
let stripe: FakeStripeServer;
/** The payments process to kill (SIGKILL) once Stripe has taken the money, before it hears so. */
let killAfterCharge: MainProcess | undefined;

beforeAll(async () => {
  ({ db, nats, stop: teardown } = await startMessagingFixture('payments'));
  stripe = await startFakeStripe({
    afterCharge: async () => {
      const victim = killAfterCharge;
      if (!victim) return;
      victim.child.kill('SIGKILL');
      await victim.exited;
    },
  });
});

afterAll(async () => {
  await stripe?.close();
  await teardown?.();
});

/** payments as deployed (its own process), charging through Stripe's API played by the fake. */
function startPayments(): MainProcess {
  return startMain(serviceDir, {
    DATABASE_URL: db.url,
    ...nats.env('payments'),
    JWT_KEY: jwtKey,
    PORT: '0',
    STRIPE_SECRET_KEY: 'sk_test_fake',
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: String(stripe.port),
    STRIPE_API_PROTOCOL: 'http',
  });
}

describe('POST /api/payments retried with its Idempotency-Key after payments died mid-request', () => {
  it('charges once, and the retry gets the 201 of that charge', async () => {
    const order = await buildOrder(db.db, { priceCents: 3100 });
    const request = {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Cookie: sessionCookie(jwtKey, { id: order.userId }),
        'Idempotency-Key': crypto.randomUUID(),
      },
      body: JSON.stringify({ orderId: order.id, token: 'tok_visa' }),
    };

    const first = startPayments();
    killAfterCharge = first;
    const lost = await fetch(`${await first.url()}/api/payments`, request).then(
      (res) => `answered ${res.status}`,
      () => 'no answer',
    );
    killAfterCharge = undefined;
    expect(lost).toBe('no answer');
    expect(await first.exited).toBeNull();
    // PostgreSQL ends the dead process's sessions, and with them its hold on the key.
    await waitFor(
      async () => {
        const { rows } = await db.pool.query(`select 1 from pg_locks where locktype = 'advisory'`);
        return rows.length === 0;
      },
      { what: 'the killed process to let go of the key' },
    );

    const second = startPayments();
    try {
      const retry = await fetch(`${await second.url()}/api/payments`, request);

      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      const payments = await paymentsOf(db.db, order.id);
      expect(payments.map((p) => p.status)).toEqual(['succeeded']);
      expect(await retry.json()).toEqual({ id: payments[0]!.id });
      expect(stripe.succeededIntents()).toBe(1);
      const charges = stripe.requests.filter((r) => r.path === '/v1/payment_intents');
      expect(charges).toHaveLength(2);
      expect(charges[1]!.idempotencyKey).toBe(charges[0]!.idempotencyKey);
      expect(payments[0]!.providerChargeId).toMatch(/^pi_fake_/);
      expect(await paymentCreatedEvents(db.db, order.id)).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});
