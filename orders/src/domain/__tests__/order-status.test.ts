import { BadRequestError } from '@ticketing/common';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import {
  addTicket,
  newUser,
  orderEvents,
  placeOrderFor,
  storedOrder,
  testApp,
} from '../../__tests__/helpers';
import { cancelOrder, completeOrder, expireOrder } from '../order-status';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('order status changes', () => {
  it('serialize a buyer cancel, an expiry and a payment racing on one order: one change, one event', async () => {
    const app = testApp(db);
    const buyer = newUser();
    const orders = await Promise.all(
      Array.from({ length: 10 }, async () => placeOrderFor(app, buyer.cookie, (await addTicket(db)).id)),
    );

    await Promise.all(
      orders.flatMap((order) => [
        db.db
          .transaction((tx) => cancelOrder(tx, { orderId: order.id, userId: buyer.id }))
          // Losing the race to the payment is the 400 of the contract.
          .catch((err: unknown) => expect(err).toBeInstanceOf(BadRequestError)),
        db.db.transaction((tx) => expireOrder(tx, order.id)),
        db.db.transaction((tx) => completeOrder(tx, order.id)),
      ]),
    );

    for (const order of orders) {
      const stored = await storedOrder(db, order.id);
      const cancelled = await orderEvents(db, 'order.cancelled', order.id);
      const completed = await orderEvents(db, 'order.completed', order.id);
      expect(stored.version).toBe(1);
      expect(cancelled.length + completed.length).toBe(1);
      expect(stored.status).toBe(completed.length === 1 ? 'complete' : 'cancelled');
    }
  });
});
