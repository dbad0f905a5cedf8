import crypto from 'node:crypto';
import request from 'supertest';
import { createTestDatabase, sessionCookie, type TestDatabase } from '@ticketing/common/testing';
import { SandboxProvider, type ChargeRequest, type ChargeResult } from '../../providers';
import { buildOrder, jwtKey, paymentCreatedEvents, paymentsOf, testApp } from '../../__tests__/helpers';

let db: TestDatabase;
let provider: SandboxProvider;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  // 20 concurrent requests each hold one connection.
  db = await createTestDatabase({ max: 25 });
});

beforeEach(() => {
  provider = new SandboxProvider();
  app = testApp(db.db, provider);
});

afterAll(async () => {
  await db?.drop();
});

function pay(userId: string, key: string, body: object, on = app) {
  return request(on)
    .post('/api/payments')
    .set('Cookie', sessionCookie(jwtKey, { id: userId }))
    .set('Idempotency-Key', key)
    .send(body);
}

/** The sandbox, except that the answer of its first charge is lost on the way back (it was made). */
class LosesFirstAnswer extends SandboxProvider {
  private lost = false;

  override async charge(req: ChargeRequest): Promise<ChargeResult> {
    const result = await super.charge(req);
    if (!this.lost) {
      this.lost = true;
      throw new Error('socket hang up');
    }
    return result;
  }
}

/** The sandbox, holding each charge's answer until `release()` (the charge itself is made at once). */
class SlowToAnswer extends SandboxProvider {
  private resolveCalled!: () => void;
  private resolveGate!: () => void;
  /** Resolves once the provider has been asked to charge. */
  readonly called = new Promise<void>((resolve) => (this.resolveCalled = resolve));
  private readonly gate = new Promise<void>((resolve) => (this.resolveGate = resolve));

  override async charge(req: ChargeRequest): Promise<ChargeResult> {
    const result = await super.charge(req);
    this.resolveCalled();
    await this.gate;
    return result;
  }

  release(): void {
    this.resolveGate();
  }
}

describe('POST /api/payments with an Idempotency-Key', () => {
  it('answers 409 with Retry-After while the first request is with the provider, then replays its 201', async () => {
    const slow = new SlowToAnswer();
    const slowApp = testApp(db.db, slow);
    const order = await buildOrder(db.db);
    const key = crypto.randomUUID();
    const body = { orderId: order.id, token: 'tok_visa' };
    const first = pay(order.userId, key, body, slowApp).then((res) => res);
    await slow.called;

    const during = await pay(order.userId, key, body, slowApp);
    slow.release();
    const done = await first;
    const after = await pay(order.userId, key, body, slowApp);

    expect(during.status).toBe(409);
    expect(during.headers['retry-after']).toBe('1');
    expect(during.body).toEqual({
      errors: [{ message: 'A request with this Idempotency-Key is still in progress; retry shortly' }],
    });
    expect(done.status).toBe(201);
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(after.text).toBe(done.text);
    expect(slow.charges).toHaveLength(1);
  });

  it('charges once for a request sent twice, and replays the first 201 byte for byte', async () => {
    const order = await buildOrder(db.db);
    const key = crypto.randomUUID();

    const first = await pay(order.userId, key, { orderId: order.id, token: 'tok_visa' });
    const second = await pay(order.userId, key, { orderId: order.id, token: 'tok_visa' });

    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.text).toBe(first.text);
    expect(provider.charges).toHaveLength(1);
    expect((await paymentsOf(db.db, order.id)).map((p) => [p.id, p.status])).toEqual([
      [first.body.id, 'succeeded'],
    ]);
    expect(await paymentCreatedEvents(db.db, order.id)).toHaveLength(1);
  });

  it('charges exactly once for 20 concurrent requests with one key; the others get 409 or the replay', async () => {
    const order = await buildOrder(db.db);
    const key = crypto.randomUUID();

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => pay(order.userId, key, { orderId: order.id, token: 'tok_visa' })),
    );

    expect(provider.charges).toHaveLength(1);
    const [payment] = await paymentsOf(db.db, order.id);
    expect(await paymentsOf(db.db, order.id)).toHaveLength(1);
    for (const res of answers) {
      if (res.status === 201) {
        expect(res.body).toEqual({ id: payment!.id });
      } else {
        expect(res.status).toBe(409);
        expect(res.body).toEqual({
          errors: [{ message: 'A request with this Idempotency-Key is still in progress; retry shortly' }],
        });
      }
    }
    expect(answers.filter((r) => r.status === 201 && !r.headers['idempotent-replayed'])).toHaveLength(1);
  });

  it('returns 422 for the same key with another card, and charges nothing more', async () => {
    const order = await buildOrder(db.db);
    const key = crypto.randomUUID();
    await pay(order.userId, key, { orderId: order.id, token: 'pm_card_chargeDeclined' });

    const res = await pay(order.userId, key, { orderId: order.id, token: 'tok_visa' });

    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      errors: [
        {
          message: 'This Idempotency-Key was already used for a different request',
          field: 'Idempotency-Key',
        },
      ],
    });
    expect(provider.charges).toHaveLength(1);
  });

  it('keeps two buyers with the same key apart', async () => {
    const [a, b] = [await buildOrder(db.db), await buildOrder(db.db)];
    const key = 'same-key-for-both';

    const paidA = await pay(a.userId, key, { orderId: a.id, token: 'tok_visa' });
    const paidB = await pay(b.userId, key, { orderId: b.id, token: 'tok_visa' });

    expect(paidA.status).toBe(201);
    expect(paidB.status).toBe(201);
    expect(paidB.headers['idempotent-replayed']).toBeUndefined();
    expect(provider.charges).toHaveLength(2);
  });

  it('does not store a 400, so a corrected retry with the same key pays', async () => {
    const order = await buildOrder(db.db);
    const key = crypto.randomUUID();

    const bad = await pay(order.userId, key, { orderId: order.id, token: 'not a token' });
    const corrected = await pay(order.userId, key, { orderId: order.id, token: 'tok_visa' });

    expect(bad.status).toBe(400);
    expect(corrected.status).toBe(201);
    expect(corrected.headers['idempotent-replayed']).toBeUndefined();
    expect(provider.charges).toHaveLength(1);
  });

  it('replays a decline without asking the provider again', async () => {
    const order = await buildOrder(db.db);
    const key = crypto.randomUUID();

    const first = await pay(order.userId, key, { orderId: order.id, token: 'pm_card_chargeDeclined' });
    const second = await pay(order.userId, key, { orderId: order.id, token: 'pm_card_chargeDeclined' });

    expect(first.status).toBe(402);
    expect(second.status).toBe(402);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual({ errors: [{ message: 'Your card was declined' }] });
    expect(provider.charges).toHaveLength(1);
  });

  it('finishes the charge whose answer was lost when the request is retried: one charge, and the 201', async () => {
    const lossy = new LosesFirstAnswer();
    const lossyApp = testApp(db.db, lossy);
    const order = await buildOrder(db.db);
    const key = crypto.randomUUID();

    const lost = await pay(order.userId, key, { orderId: order.id, token: 'tok_visa' }, lossyApp);
    const retry = await pay(order.userId, key, { orderId: order.id, token: 'tok_visa' }, lossyApp);

    expect(lost.status).toBe(500);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(lossy.charges).toHaveLength(1);
    const [payment] = await paymentsOf(db.db, order.id);
    expect(payment).toMatchObject({ id: retry.body.id, status: 'succeeded' });
    expect(await paymentCreatedEvents(db.db, order.id)).toHaveLength(1);
  });

  it('forgets a key once its retention has passed: the same request is judged anew', async () => {
    const order = await buildOrder(db.db);
    const key = crypto.randomUUID();
    await pay(order.userId, key, { orderId: order.id, token: 'tok_visa' });
    // The retention passes (moved, not waited for).
    await db.pool.query(
      `update idempotency_keys set expires_at = now() - interval '1 second' where key = $1`,
      [key],
    );

    const again = await pay(order.userId, key, { orderId: order.id, token: 'tok_visa' });

    expect(again.status).toBe(400);
    expect(again.body).toEqual({ errors: [{ message: 'Order has already been paid' }] });
    expect(provider.charges).toHaveLength(1);
  });
});
