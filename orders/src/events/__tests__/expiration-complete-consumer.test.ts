import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import {
  publishTestEvent,
  startMessagingFixture,
  type TestConsumer,
  type TestDatabase,
} from '@ticketing/common/testing';
import {
  buyerWithOrder,
  deleteOrder,
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
let app: TestApp;
let tc: TestConsumer<'expiration.complete'>;
let teardown: () => Promise<void>;

beforeAll(async () => {
  ({
    db,
    consumers: { tc },
    stop: teardown,
  } = await startMessagingFixture('orders', { tc: expirationCompleteConsumer }));
  app = testApp(db);
});
afterAll(() => teardown?.());

async function expire(orderId: string) {
  const event = await publishTestEvent(tc.publisher, 'expiration.complete', { orderId });
  await tc.next('handled', event.id);
  return event;
}

describe('expiration.complete consumer', () => {
  it('cancels a created order, bumping its version', async () => {
    const { order } = await buyerWithOrder(db, app);

    await expire(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('commits order.cancelled for the expired order', async () => {
    const { ticket, order } = await buyerWithOrder(db, app);

    await expire(order.id);

    expect(await orderEvents(db, 'order.cancelled', order.id)).toEqual([
      { id: order.id, version: 1, ticket: { id: ticket.id } },
    ]);
  });

  it('frees the ticket for another buyer', async () => {
    const { ticket, order } = await buyerWithOrder(db, app);
    await expire(order.id);

    const res = await postOrder(app, newUser().cookie, ticket.id);

    expect(res.status).toBe(201);
  });

  it('cancels an awaiting:payment order', async () => {
    const { order } = await buyerWithOrder(db, app);
    await db.db.update(orders).set({ status: 'awaiting:payment' }).where(eq(orders.id, order.id));

    await expire(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('leaves a completed order complete and publishes nothing', async () => {
    const { order } = await buyerWithOrder(db, app);
    await db.db.transaction((tx) => completeOrder(tx, order.id));

    await expire(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(await orderEvents(db, 'order.cancelled', order.id)).toEqual([]);
  });

  it('leaves an order the buyer already cancelled as it is', async () => {
    const { buyer, order } = await buyerWithOrder(db, app);
    await deleteOrder(app, order.id, buyer.cookie);

    await expire(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await orderEvents(db, 'order.cancelled', order.id)).toHaveLength(1);
  });

  it('leaves order Y, which now holds the ticket, untouched by a late expiry of order X', async () => {
    const { buyer, ticket, order: x } = await buyerWithOrder(db, app);
    await deleteOrder(app, x.id, buyer.cookie);
    const y = await placeOrderFor(app, newUser().cookie, ticket.id);

    await expire(x.id);

    expect(await storedOrder(db, y.id)).toMatchObject({ status: 'created', version: 0 });
    expect(await orderEvents(db, 'order.cancelled', y.id)).toEqual([]);
    expect((await postOrder(app, newUser().cookie, ticket.id)).status).toBe(400);
  });

  it('applies a redelivered expiry once', async () => {
    const { order } = await buyerWithOrder(db, app);
    const event = await expire(order.id);

    const duplicate = tc.next('duplicate', event.id);
    await publishAgain(tc.publisher, event);

    await duplicate;
    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await orderEvents(db, 'order.cancelled', order.id)).toHaveLength(1);
  });

  it('acknowledges an expiry for an unknown order without effect', async () => {
    const event = await publishTestEvent(tc.publisher, 'expiration.complete', {
      orderId: crypto.randomUUID(),
    });

    await tc.next('handled', event.id);

    expect(await orderEvents(db, 'order.cancelled', event.data.orderId)).toEqual([]);
  });
});
