import { eq } from 'drizzle-orm';
import request from 'supertest';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAM_NAME, silentLogger, startService, type RunningService } from '@ticketing/common';
import {
  publishTestEvent,
  sessionCookie,
  startMessagingFixture,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@ticketing/common/testing';
import { orders, payments } from '../db/schema';
import { paymentsService } from '../service';
import { announceOrder, buildOrder, jwtKey } from './helpers';

let db: TestDatabase;
let nats: NatsServerHandle;
let nc: NatsConnection;
let ordersNc: NatsConnection;
let service: RunningService;
let teardown: () => Promise<void>;

beforeAll(async () => {
  ({ db, nats, stop: teardown } = await startMessagingFixture('payments'));
  // Reads the stream as the test-only user; `ordersNc` plays the service publishing order events.
  nc = await nats.connect();
  ordersNc = await nats.connect('orders');
  service = await startService(paymentsService, {
    env: {
      DATABASE_URL: db.url,
      ...nats.env('payments'),
      PORT: '0',
      JWT_KEY: jwtKey,
      RECONCILE_INTERVAL_MS: '100',
    },
    logger: silentLogger(),
  });
});

afterAll(async () => {
  await service?.stop();
  await nc?.close();
  await ordersNc?.close();
  await teardown?.();
});

describe('payments service', () => {
  it('takes a payment for an order it learned from order.created and publishes payment.created', async () => {
    const { orderId, userId } = await announceOrder(ordersNc, db.db);

    const res = await request(service.url)
      .post('/api/payments')
      .set('Cookie', sessionCookie(jwtKey, { id: userId }))
      .send({ orderId, token: 'tok_visa' });

    expect(res.status).toBe(201);
    const reader = await jetstream(nc).consumers.get(STREAM_NAME, { filter_subjects: 'payment.created' });
    const message = await reader.next({ expires: 10_000 });
    expect(message?.json()).toMatchObject({
      subject: 'payment.created',
      data: { id: res.body.id, orderId, stripeId: expect.stringMatching(/^ch_sandbox_/) },
    });
    await reader.delete();
  });
  it('refunds the payment through the provider that charged it when order.cancelled comes after it', async () => {
    const { orderId, userId, ticketId } = await announceOrder(ordersNc, db.db);
    const paid = await request(service.url)
      .post('/api/payments')
      .set('Cookie', sessionCookie(jwtKey, { id: userId }))
      .send({ orderId, token: 'tok_visa' });
    expect(paid.status).toBe(201);

    await publishTestEvent(ordersNc, 'order.cancelled', {
      id: orderId,
      version: 1,
      ticket: { id: ticketId },
    });

    // The sandbox refunds only charges it made: the consumer must hold the app's provider.
    const refunded = await waitFor(
      () =>
        db.db
          .select()
          .from(payments)
          .where(eq(payments.id, paid.body.id))
          .then((r) => (r[0]?.status === 'refunded' ? r[0] : undefined)),
      { what: 'the refund' },
    );
    expect(refunded.refundId).toMatch(/^re_sandbox_/);
  });

  it('settles an abandoned attempt in the background with the provider the app charged through', async () => {
    const order = await buildOrder(db.db);
    const paid = await request(service.url)
      .post('/api/payments')
      .set('Cookie', sessionCookie(jwtKey, { id: order.userId }))
      .send({ orderId: order.id, token: 'tok_visa' });
    expect(paid.status).toBe(201);
    const [charged] = await db.db.select().from(payments).where(eq(payments.id, paid.body.id));
    // As if the process had died after the charge, before recording it; then the order expired.
    await db.db
      .update(payments)
      .set({ status: 'pending', providerChargeId: null, attemptedAt: new Date(Date.now() - 5 * 60_000) })
      .where(eq(payments.id, paid.body.id));
    await db.db.update(orders).set({ status: 'cancelled' }).where(eq(orders.id, order.id));

    const refunded = await waitFor(
      () =>
        db.db
          .select()
          .from(payments)
          .where(eq(payments.id, paid.body.id))
          .then((r) => (r[0]?.status === 'refunded' ? r[0] : undefined)),
      { what: 'the reconciler' },
    );
    // The same key replayed the app's charge: the reconciler holds the app's provider.
    expect(refunded.providerChargeId).toBe(charged!.providerChargeId);
  });
});
