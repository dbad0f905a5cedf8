import crypto from 'node:crypto';
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
  postOrder,
  publishAgain,
  storedOrder,
  testApp,
  type TestApp,
} from '../../__tests__/helpers';
import { paymentCreatedConsumer } from '../payment-created-consumer';

let db: TestDatabase;
let app: TestApp;
let tc: TestConsumer<'payment.created'>;
let teardown: () => Promise<void>;

beforeAll(async () => {
  ({
    db,
    consumers: { tc },
    stop: teardown,
  } = await startMessagingFixture('orders', { tc: paymentCreatedConsumer }));
  app = testApp(db);
});
afterAll(() => teardown?.());

async function pay(orderId: string) {
  const event = await publishTestEvent(tc.publisher, 'payment.created', {
    id: crypto.randomUUID(),
    orderId,
    stripeId: 'pi_test_123',
  });
  await tc.next('handled', event.id);
  return event;
}

describe('payment.created consumer', () => {
  it('completes a created order, bumping its version', async () => {
    const { order } = await buyerWithOrder(db, app);

    await pay(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'complete', version: 1 });
  });

  it('commits order.completed for the paid order', async () => {
    const { ticket, order } = await buyerWithOrder(db, app);

    await pay(order.id);

    expect(await orderEvents(db, 'order.completed', order.id)).toEqual([
      { id: order.id, version: 1, ticket: { id: ticket.id } },
    ]);
  });

  it('leaves the paid order complete when its buyer tries to cancel it (400)', async () => {
    const { buyer, order } = await buyerWithOrder(db, app);
    await pay(order.id);

    const res = await deleteOrder(app, order.id, buyer.cookie);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Cannot cancel a completed order' }] });
    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'complete', version: 1 });
  });

  it('keeps the ticket of a paid order from being reserved again', async () => {
    const { ticket, order } = await buyerWithOrder(db, app);
    await pay(order.id);

    const res = await postOrder(app, newUser().cookie, ticket.id);

    expect(res.status).toBe(400);
  });

  it('leaves a cancelled order cancelled and publishes nothing', async () => {
    const { buyer, order } = await buyerWithOrder(db, app);
    await deleteOrder(app, order.id, buyer.cookie);

    await pay(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await orderEvents(db, 'order.completed', order.id)).toEqual([]);
  });

  it('completes an order once when a second payment event arrives for it', async () => {
    const { order } = await buyerWithOrder(db, app);
    await pay(order.id);

    await pay(order.id);

    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(await orderEvents(db, 'order.completed', order.id)).toHaveLength(1);
  });

  it('applies a redelivered payment once', async () => {
    const { order } = await buyerWithOrder(db, app);
    const event = await pay(order.id);

    const duplicate = tc.next('duplicate', event.id);
    await publishAgain(tc.publisher, event);

    await duplicate;
    expect(await orderEvents(db, 'order.completed', order.id)).toHaveLength(1);
  });

  it('acknowledges a payment for an unknown order without effect', async () => {
    const orderId = crypto.randomUUID();

    await pay(orderId);

    expect(await orderEvents(db, 'order.completed', orderId)).toEqual([]);
  });
});
