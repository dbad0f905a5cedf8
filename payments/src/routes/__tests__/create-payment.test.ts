import crypto from 'node:crypto';
import request from 'supertest';
import { MIN_CHARGE_MESSAGE } from '@ticketing/common';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import { payments } from '../../db/schema';
import { idempotencyKeyFor } from '../../domain/payment-attempts';
import { SandboxProvider } from '../../providers';
import { buildOrder, paymentCreatedEvents, paymentsOf, postPayment, testApp } from '../../__tests__/helpers';

let db: TestDatabase;
let provider: SandboxProvider;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  db = await createTestDatabase();
});

beforeEach(() => {
  provider = new SandboxProvider();
  app = testApp(db.db, provider);
});

afterAll(async () => {
  await db?.drop();
});

const pay = (userId: string, body: object) => postPayment(app, userId, body);

describe('POST /api/payments', () => {
  it('returns 201 with the payment id, stores a succeeded payment and commits payment.created', async () => {
    const order = await buildOrder(db.db, { priceCents: 2550 });

    const res = await pay(order.userId, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String) });
    const [payment] = await paymentsOf(db.db, order.id);
    expect(payment).toMatchObject({ id: res.body.id, status: 'succeeded', amountCents: 2550 });
    expect(payment!.providerChargeId).toMatch(/^ch_sandbox_/);
    const events = await paymentCreatedEvents(db.db, order.id);
    expect(events.map((e) => e.data)).toEqual([
      { id: res.body.id, orderId: order.id, stripeId: payment!.providerChargeId },
    ]);
  });

  it('charges the price in integer cents with an idempotency key derived from the order and the attempt', async () => {
    const order = await buildOrder(db.db, { priceCents: 1999 });

    const res = await pay(order.userId, { orderId: order.id, token: 'pm_card_visa' });

    expect(res.status).toBe(201);
    expect(provider.charges).toEqual([
      expect.objectContaining({
        amountCents: 1999,
        token: 'pm_card_visa',
        idempotencyKey: idempotencyKeyFor(order.id, res.body.id),
      }),
    ]);
  });

  it('charges exactly the minimum charge of $0.50', async () => {
    const order = await buildOrder(db.db, { priceCents: 50 });

    const res = await pay(order.userId, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(201);
    expect(provider.charges.map((c) => c.amountCents)).toEqual([50]);
  });

  it.each([49, 1])(
    'returns 400 saying card payments start at $0.50 for an order of %p cents, without calling the provider',
    async (priceCents) => {
      const order = await buildOrder(db.db, { priceCents });

      const res = await pay(order.userId, { orderId: order.id, token: 'tok_visa' });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ errors: [{ message: MIN_CHARGE_MESSAGE }] });
      expect(provider.charges).toEqual([]);
      expect(await paymentsOf(db.db, order.id)).toEqual([]);
    },
  );

  it('returns 401 when signed out', async () => {
    const order = await buildOrder(db.db);

    const res = await request(app).post('/api/payments').send({ orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(401);
    expect(await paymentsOf(db.db, order.id)).toHaveLength(0);
  });

  it('returns 400 naming orderId when it is not a UUID', async () => {
    const res = await pay(crypto.randomUUID(), { orderId: 'abc', token: 'tok_visa' });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'orderId must be a valid id', field: 'orderId' }]);
  });

  it('returns 400 naming both fields when both are missing', async () => {
    const res = await pay(crypto.randomUUID(), {});

    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['orderId', 'token']);
  });

  it('returns 400 naming token when it is longer than 255 characters', async () => {
    const res = await pay(crypto.randomUUID(), { orderId: crypto.randomUUID(), token: 't'.repeat(256) });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'token must be 1 to 255 characters', field: 'token' }]);
  });

  it('returns 404 for an order the replica does not hold', async () => {
    const res = await pay(crypto.randomUUID(), { orderId: crypto.randomUUID(), token: 'tok_visa' });

    expect(res.status).toBe(404);
    expect(provider.charges).toHaveLength(0);
  });

  it("returns 401 for someone else's order", async () => {
    const order = await buildOrder(db.db);

    const res = await pay(crypto.randomUUID(), { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(401);
    expect(provider.charges).toHaveLength(0);
  });

  it('returns 400 for a cancelled order', async () => {
    const order = await buildOrder(db.db, { status: 'cancelled', version: 1 });

    const res = await pay(order.userId, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'Cannot pay for a cancelled order' }]);
    expect(provider.charges).toHaveLength(0);
  });

  it('returns 400 for an order the replica knows is complete', async () => {
    const order = await buildOrder(db.db, { status: 'complete', version: 1 });

    const res = await pay(order.userId, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'Order has already been paid' }]);
  });

  it('returns 400 for an order with a succeeded payment, without charging again', async () => {
    const order = await buildOrder(db.db);
    await pay(order.userId, { orderId: order.id, token: 'tok_visa' }).expect(201);

    const res = await pay(order.userId, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'Order has already been paid' }]);
    expect(provider.charges).toHaveLength(1);
    expect(await paymentCreatedEvents(db.db, order.id)).toHaveLength(1);
  });

  it('returns 400 for an order whose reservation has expired', async () => {
    const order = await buildOrder(db.db, { expiresAt: new Date(Date.now() - 1_000) });

    const res = await pay(order.userId, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'Order has expired' }]);
    expect(provider.charges).toHaveLength(0);
  });

  it('returns 402 for a declined card and records the attempt as declined', async () => {
    const order = await buildOrder(db.db);

    const res = await pay(order.userId, { orderId: order.id, token: 'pm_card_chargeDeclined' });

    expect(res.status).toBe(402);
    expect(res.body.errors).toEqual([{ message: 'Your card was declined' }]);
    expect(await paymentsOf(db.db, order.id)).toEqual([
      expect.objectContaining({
        status: 'declined',
        failureMessage: 'Your card was declined.',
        providerChargeId: null,
      }),
    ]);
    expect(await paymentCreatedEvents(db.db, order.id)).toHaveLength(0);
  });

  it('returns 402 for an unknown token (the sandbox declines it, as Stripe refuses it)', async () => {
    const order = await buildOrder(db.db);

    const res = await pay(order.userId, { orderId: order.id, token: 'tok_unheardof' });

    expect(res.status).toBe(402);
  });

  it('accepts a good card after a declined one, with a new idempotency key', async () => {
    const order = await buildOrder(db.db);
    await pay(order.userId, { orderId: order.id, token: 'pm_card_chargeDeclined' }).expect(402);

    const res = await pay(order.userId, { orderId: order.id, token: 'pm_card_visa' });

    expect(res.status).toBe(201);
    const attempts = await paymentsOf(db.db, order.id);
    expect(attempts.map((p) => p.status)).toEqual(['declined', 'succeeded']);
    expect(new Set(provider.charges.map((c) => c.idempotencyKey)).size).toBe(2);
    expect(await paymentCreatedEvents(db.db, order.id)).toHaveLength(1);
  });

  it('returns 400 while another attempt for the order is in progress', async () => {
    const order = await buildOrder(db.db);
    const id = crypto.randomUUID();
    await db.db.insert(payments).values({
      id,
      orderId: order.id,
      status: 'pending',
      amountCents: order.priceCents,
      token: 'tok_visa',
      idempotencyKey: idempotencyKeyFor(order.id, id),
      attemptedAt: new Date(),
    });

    const res = await pay(order.userId, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'A payment for this order is in progress' }]);
    expect(provider.charges).toHaveLength(0);
  });

  it('resumes an abandoned attempt with its own key and token, so the provider charges once', async () => {
    const order = await buildOrder(db.db);
    const id = crypto.randomUUID();
    const abandoned = {
      id,
      orderId: order.id,
      status: 'pending' as const,
      amountCents: order.priceCents,
      token: 'pm_card_visa',
      idempotencyKey: idempotencyKeyFor(order.id, id),
      attemptedAt: new Date(Date.now() - 5 * 60_000),
    };
    await db.db.insert(payments).values(abandoned);
    // The process charged, then died before recording the result.
    const charged = await provider.charge({
      amountCents: abandoned.amountCents,
      currency: 'usd',
      token: abandoned.token,
      idempotencyKey: abandoned.idempotencyKey,
      description: `Ticketing order ${order.id}`,
    });

    const res = await pay(order.userId, { orderId: order.id, token: 'tok_mastercard' });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id });
    expect(provider.charges).toHaveLength(1);
    const [payment] = await paymentsOf(db.db, order.id);
    expect(payment).toMatchObject({
      status: 'succeeded',
      providerChargeId: (charged as { chargeId: string }).chargeId,
    });
    expect(await paymentCreatedEvents(db.db, order.id)).toHaveLength(1);
  });

  it('answers 10 concurrent requests for one order with exactly one 201 and one charge', async () => {
    const order = await buildOrder(db.db);

    const responses = await Promise.all(
      Array.from({ length: 10 }, () => pay(order.userId, { orderId: order.id, token: 'tok_visa' })),
    );

    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
    expect(provider.charges).toHaveLength(1);
    expect(await paymentCreatedEvents(db.db, order.id)).toHaveLength(1);
    expect((await paymentsOf(db.db, order.id)).map((p) => p.status)).toEqual(['succeeded']);
  });
});

describe('payments table', () => {
  it('refuses a second pending or succeeded payment for one order', async () => {
    const order = await buildOrder(db.db);
    const attempt = (status: 'pending' | 'succeeded') => {
      const id = crypto.randomUUID();
      return db.db.insert(payments).values({
        id,
        orderId: order.id,
        status,
        amountCents: order.priceCents,
        token: 'tok_visa',
        idempotencyKey: idempotencyKeyFor(order.id, id),
        attemptedAt: new Date(),
      });
    };
    await attempt('succeeded');

    await expect(attempt('pending')).rejects.toMatchObject({
      cause: expect.objectContaining({ code: '23505' }),
    });
  });

  it('returns 429 with Retry-After to the attempt after 5 declines on one order, without calling the provider', async () => {
    const order = await buildOrder(db.db);
    for (let i = 0; i < 5; i++) {
      expect((await pay(order.userId, { orderId: order.id, token: 'pm_card_chargeDeclined' })).status).toBe(
        402,
      );
    }

    const res = await pay(order.userId, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(429);
    expect(res.body).toEqual({ errors: [{ message: expect.any(String) }] });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(3500);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect(provider.charges).toHaveLength(5);
    expect((await paymentsOf(db.db, order.id)).map((p) => p.status)).toEqual(Array(5).fill('declined'));
  });

  it("returns 429 once a buyer's declines across orders reach PAYMENT_MAX_DECLINES_PER_USER", async () => {
    const strict = testApp(db.db, provider, { PAYMENT_MAX_DECLINES_PER_USER: '3' });
    const userId = crypto.randomUUID();
    const declined = await Promise.all([1, 2, 3].map(() => buildOrder(db.db, { userId })));
    for (const order of declined) {
      const res = await postPayment(strict, userId, { orderId: order.id, token: 'pm_card_chargeDeclined' });
      expect(res.status).toBe(402);
    }
    const fresh = await buildOrder(db.db, { userId });

    const res = await postPayment(strict, userId, { orderId: fresh.id, token: 'tok_visa' });

    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
    expect(provider.charges).toHaveLength(3);
  });
});
