import crypto from 'node:crypto';
import { silentLogger } from '@ticketing/common';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import { buildApp } from '../../app';
import { paymentsDependencies } from '../../dependencies';
import {
  startFakeStripe,
  SERVER_ERROR_TOKEN,
  type FakeStripeServer,
} from '../../__tests__/fake-stripe-server';
import {
  buildOrder,
  paymentCreatedEvents,
  paymentsOf,
  postPayment,
  testConfig,
} from '../../__tests__/helpers';
import type { ChargeRequest } from '../payment-provider';
import { StripeProvider } from '../stripe-provider';

const SECRET_KEY = 'sk_test_fake';
let stripe: FakeStripeServer;
let provider: StripeProvider;

beforeAll(async () => {
  stripe = await startFakeStripe();
  provider = new StripeProvider(SECRET_KEY, { host: '127.0.0.1', port: stripe.port, protocol: 'http' });
});

afterAll(async () => {
  await stripe?.close();
});

function chargeRequest(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    amountCents: 1999,
    currency: 'usd',
    token: 'pm_card_visa',
    idempotencyKey: `order_${crypto.randomUUID()}_attempt_${crypto.randomUUID()}`,
    description: 'Ticketing order',
    ...overrides,
  };
}

function requestsWithKey(key: string) {
  return stripe.requests.filter((r) => r.idempotencyKey === key);
}

describe('StripeProvider', () => {
  it('creates and confirms a PaymentIntent with the idempotency key and the amount in cents', async () => {
    const charge = chargeRequest();

    const result = await provider.charge(charge);

    expect(result).toEqual({ status: 'succeeded', chargeId: expect.stringMatching(/^pi_fake_/) });
    const [sent] = requestsWithKey(charge.idempotencyKey);
    expect(sent).toMatchObject({
      method: 'POST',
      path: '/v1/payment_intents',
      authorization: `Bearer ${SECRET_KEY}`,
    });
    expect(Object.fromEntries(sent!.params)).toMatchObject({
      amount: '1999',
      currency: 'usd',
      confirm: 'true',
      payment_method: 'pm_card_visa',
      'automatic_payment_methods[enabled]': 'true',
      'automatic_payment_methods[allow_redirects]': 'never',
    });
  });

  it('sends a card token as the payment method data', async () => {
    const charge = chargeRequest({ token: 'tok_visa' });

    await provider.charge(charge);

    const [sent] = requestsWithKey(charge.idempotencyKey);
    expect(sent!.params.get('payment_method_data[type]')).toBe('card');
    expect(sent!.params.get('payment_method_data[card][token]')).toBe('tok_visa');
    expect(sent!.params.has('payment_method')).toBe(false);
  });

  it("maps Stripe's card_declined error to a decline", async () => {
    const result = await provider.charge(chargeRequest({ token: 'pm_card_chargeDeclined' }));

    expect(result).toEqual({ status: 'declined', message: 'Your card was declined.' });
  });

  it('rejects when the outcome is unknown (a Stripe server error)', async () => {
    await expect(provider.charge(chargeRequest({ token: SERVER_ERROR_TOKEN }))).rejects.toThrow(
      /unknown error/,
    );
  });

  it('replays a charge repeated with its idempotency key, charging once', async () => {
    const charge = chargeRequest();
    const before = stripe.succeededIntents();

    const first = await provider.charge(charge);
    const second = await provider.charge(charge);

    expect(first).toEqual({ status: 'succeeded', chargeId: expect.stringMatching(/^pi_fake_/) });
    expect(second).toEqual(first);
    expect(stripe.succeededIntents() - before).toBe(1);
  });

  it('replays a decline repeated with its idempotency key', async () => {
    const charge = chargeRequest({ token: 'pm_card_chargeDeclined' });

    const first = await provider.charge(charge);
    const second = await provider.charge(charge);

    expect(first).toEqual({ status: 'declined', message: 'Your card was declined.' });
    expect(second).toEqual(first);
  });

  it('refunds a PaymentIntent with the amount in cents and the idempotency key', async () => {
    const charged = await provider.charge(chargeRequest({ amountCents: 2550 }));
    const chargeId = charged.status === 'succeeded' ? charged.chargeId : 'not charged';
    const idempotencyKey = `refund_${crypto.randomUUID()}`;

    const result = await provider.refund({ chargeId, amountCents: 2550, idempotencyKey });

    expect(result).toEqual({ refundId: expect.stringMatching(/^re_fake_/) });
    const [sent] = requestsWithKey(idempotencyKey);
    expect(sent).toMatchObject({
      method: 'POST',
      path: '/v1/refunds',
      idempotencyKey,
      authorization: `Bearer ${SECRET_KEY}`,
    });
    expect(Object.fromEntries(sent!.params)).toEqual({ payment_intent: chargeId, amount: '2550' });
  });

  it('replays a refund repeated with its idempotency key, refunding once', async () => {
    const charged = await provider.charge(chargeRequest());
    const chargeId = charged.status === 'succeeded' ? charged.chargeId : 'not charged';
    const refund = { chargeId, amountCents: 1999, idempotencyKey: `refund_${crypto.randomUUID()}` };

    const first = await provider.refund(refund);
    const second = await provider.refund(refund);

    expect(second).toEqual(first);
    expect(stripe.refunds().filter((r) => r.paymentIntent === chargeId)).toHaveLength(1);
  });

  it('rejects a refund while Stripe fails, then refunds once with the same key when it is back', async () => {
    const charged = await provider.charge(chargeRequest());
    const chargeId = charged.status === 'succeeded' ? charged.chargeId : 'not charged';
    const refund = { chargeId, amountCents: 1999, idempotencyKey: `refund_${crypto.randomUUID()}` };
    stripe.setRefundMode('refuse');

    try {
      await expect(provider.refund(refund)).rejects.toThrow(/unavailable/);
    } finally {
      stripe.setRefundMode('succeed');
    }
    const result = await provider.refund(refund);

    expect(result).toEqual({ refundId: expect.stringMatching(/^re_fake_/) });
    expect(stripe.refunds().filter((r) => r.paymentIntent === chargeId)).toHaveLength(1);
  });

  it('rejects a refund Stripe refuses', async () => {
    await expect(
      provider.refund({
        chargeId: 'pi_unknown',
        amountCents: 100,
        idempotencyKey: `refund_${crypto.randomUUID()}`,
      }),
    ).rejects.toThrow(/No such payment_intent/);
  });
});

describe('POST /api/payments with Stripe', () => {
  let db: TestDatabase;
  let app: ReturnType<typeof buildApp>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = testConfig({
      STRIPE_SECRET_KEY: SECRET_KEY,
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(stripe.port),
      STRIPE_API_PROTOCOL: 'http',
    });
    // The provider comes from the config, as in production.
    app = buildApp({
      config,
      db: db.db,
      logger: silentLogger(),
      deps: paymentsDependencies({ config, db: db.db }),
    });
  });

  afterAll(async () => {
    await db?.drop();
  });

  const pay = (userId: string, body: object) => postPayment(app, userId, body);

  it('answers 10 concurrent requests with one 201 and one PaymentIntent', async () => {
    const order = await buildOrder(db.db, { priceCents: 4200 });
    const before = stripe.succeededIntents();

    const responses = await Promise.all(
      Array.from({ length: 10 }, () => pay(order.userId, { orderId: order.id, token: 'tok_visa' })),
    );

    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 400)).toHaveLength(9);
    expect(stripe.succeededIntents() - before).toBe(1);
    const [payment] = await paymentsOf(db.db, order.id);
    expect(payment!.providerChargeId).toMatch(/^pi_fake_/);
    expect(await paymentCreatedEvents(db.db, order.id)).toHaveLength(1);
  });

  it('answers 402 for a declined card, then 201 for a good one', async () => {
    const order = await buildOrder(db.db);

    const declined = await pay(order.userId, { orderId: order.id, token: 'pm_card_chargeDeclined' });
    const paid = await pay(order.userId, { orderId: order.id, token: 'pm_card_visa' });

    expect(declined.status).toBe(402);
    expect(declined.body.errors).toEqual([{ message: 'Your card was declined' }]);
    expect(paid.status).toBe(201);
    const keys = stripe.requests
      .filter((r) => r.idempotencyKey?.startsWith(`order_${order.id}_`))
      .map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(2);
  });

  it('answers 500 without details when Stripe fails, leaving the attempt pending for a resume', async () => {
    const order = await buildOrder(db.db);

    const res = await pay(order.userId, { orderId: order.id, token: SERVER_ERROR_TOKEN });

    expect(res.status).toBe(500);
    expect(res.body.errors).toEqual([{ message: 'Something went wrong' }]);
    expect((await paymentsOf(db.db, order.id)).map((p) => p.status)).toEqual(['pending']);
  });
});
