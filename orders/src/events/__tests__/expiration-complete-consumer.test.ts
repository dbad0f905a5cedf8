import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import request from 'supertest';
import {
  createTestDatabase,
  publishTestEvent,
  startNatsServer,
  startTestConsumer,
  type NatsServerHandle,
  type TestConsumer,
  type TestDatabase,
} from '@ticketing/common/testing';
import {
  addTicket,
  newUser,
  orderEvents,
  placeOrderFor,
  postOrder,
  publishAgain,
  storedOrder,
  testApp,
  type TestApp,
} from '../../__tests__/helpers';
import { orders } from '../../db/schema';
import { completeOrder } from '../../domain/order-status';
import { expirationCompleteConsumer } from '../expiration-complete-consumer';

let db: TestDatabase;
let nats: NatsServerHandle;
let app: TestApp;
let tc: TestConsumer<'expiration.complete'>;

beforeAll(async () => {
  db = await createTestDatabase();
  nats = await startNatsServer();
  app = testApp(db);
  tc = await startTestConsumer(expirationCompleteConsumer, {
    service: 'orders',
    natsUrl: nats.url,
    db: db.db,
  });
});
afterAll(async () => {
  await tc.stop();
  await nats.stop();
  await db.drop();
});

/** A new order on a new ticket, and its buyer. */
async function newOrder() {
  const buyer = newUser();
  const ticket = await addTicket(db);
  const order = await placeOrderFor(app, buyer.cookie, ticket.id);
  return { buyer, ticket, order };
}

async function expire(orderId: string) {
  const event = await publishTestEvent(tc.nc, 'expiration.complete', { orderId });
  await tc.next('handled', event.id);
  return event;
}

describe('expiration.complete consumer', () => {
  it('cancels a created order, bumping its version', async () => {
    const { order } = await newOrder();

    await expire(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('commits order.cancelled for the expired order', async () => {
    const { ticket, order } = await newOrder();

    await expire(order.id);

    expect(await orderEvents(db, 'order.cancelled', order.id)).toEqual([
      { id: order.id, version: 1, ticket: { id: ticket.id } },
    ]);
  });

  it('frees the ticket for another buyer', async () => {
    const { ticket, order } = await newOrder();
    await expire(order.id);

    const res = await postOrder(app, newUser().cookie, ticket.id);

    expect(res.status).toBe(201);
  });

  it('cancels an awaiting:payment order', async () => {
    const { order } = await newOrder();
    await db.db.update(orders).set({ status: 'awaiting:payment' }).where(eq(orders.id, order.id));

    await expire(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('leaves a completed order complete and publishes nothing', async () => {
    const { order } = await newOrder();
    await db.db.transaction((tx) => completeOrder(tx, order.id));

    await expire(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(await orderEvents(db, 'order.cancelled', order.id)).toEqual([]);
  });

  it('leaves an order the buyer already cancelled as it is', async () => {
    const { buyer, order } = await newOrder();
    await request(app).delete(`/api/orders/${order.id}`).set('Cookie', buyer.cookie);

    await expire(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await orderEvents(db, 'order.cancelled', order.id)).toHaveLength(1);
  });

  it('leaves order Y, which now holds the ticket, untouched by a late expiry of order X', async () => {
    const { buyer, ticket, order: x } = await newOrder();
    await request(app).delete(`/api/orders/${x.id}`).set('Cookie', buyer.cookie);
    const y = await placeOrderFor(app, newUser().cookie, ticket.id);

    await expire(x.id);

    expect(await storedOrder(db, y.id)).toMatchObject({ status: 'created', version: 0 });
    expect(await orderEvents(db, 'order.cancelled', y.id)).toEqual([]);
    expect((await postOrder(app, newUser().cookie, ticket.id)).status).toBe(400);
  });

  it('applies a redelivered expiry once', async () => {
    const { order } = await newOrder();
    const event = await expire(order.id);

    const duplicate = tc.next('duplicate', event.id);
    await publishAgain(tc.nc, event);

    await duplicate;
    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await orderEvents(db, 'order.cancelled', order.id)).toHaveLength(1);
  });

  it('acknowledges an expiry for an unknown order without effect', async () => {
    const event = await publishTestEvent(tc.nc, 'expiration.complete', { orderId: crypto.randomUUID() });

    await tc.next('handled', event.id);

    expect(await orderEvents(db, 'order.cancelled', event.data.orderId)).toEqual([]);
  });
});
