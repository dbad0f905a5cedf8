import crypto from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import {
  buyerWithOrder,
  deleteOrder,
  newUser,
  orderEvents,
  postOrder,
  storedOrder,
  testApp,
  type TestApp,
} from '../../__tests__/helpers';
import { completeOrder } from '../../domain/order-status';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterAll(() => db.drop());

const cancel = (orderId: string, cookie?: string) => deleteOrder(app, orderId, cookie);

describe('DELETE /api/orders/:id', () => {
  it('returns 204 and stores the order as cancelled at version 1', async () => {
    const { buyer, order } = await buyerWithOrder(db, app);

    const res = await cancel(order.id, buyer.cookie);

    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('commits order.cancelled with the new version and the ticket', async () => {
    const { buyer, ticket, order } = await buyerWithOrder(db, app);

    await cancel(order.id, buyer.cookie);

    expect(await orderEvents(db, 'order.cancelled', order.id)).toEqual([
      { id: order.id, version: 1, ticket: { id: ticket.id } },
    ]);
  });

  it('shows the order as cancelled afterwards', async () => {
    const { buyer, order } = await buyerWithOrder(db, app);
    await cancel(order.id, buyer.cookie);

    const res = await request(app).get(`/api/orders/${order.id}`).set('Cookie', buyer.cookie);

    expect(res.body).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('frees the ticket for another buyer', async () => {
    const { buyer, ticket, order } = await buyerWithOrder(db, app);
    await cancel(order.id, buyer.cookie);

    const res = await postOrder(app, newUser().cookie, ticket.id);

    expect(res.status).toBe(201);
  });

  it('returns 204 and changes nothing when the order is already cancelled', async () => {
    const { buyer, order } = await buyerWithOrder(db, app);
    await cancel(order.id, buyer.cookie);

    const res = await cancel(order.id, buyer.cookie);

    expect(res.status).toBe(204);
    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await orderEvents(db, 'order.cancelled', order.id)).toHaveLength(1);
  });

  it('returns 400 Cannot cancel a completed order, and the order stays complete', async () => {
    const { buyer, order } = await buyerWithOrder(db, app);
    await db.db.transaction((tx) => completeOrder(tx, order.id));

    const res = await cancel(order.id, buyer.cookie);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Cannot cancel a completed order' }] });
    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'complete', version: 1 });
    expect(await orderEvents(db, 'order.cancelled', order.id)).toEqual([]);
  });

  it('keeps the ticket of a completed order from being reserved again', async () => {
    const { buyer, ticket, order } = await buyerWithOrder(db, app);
    await db.db.transaction((tx) => completeOrder(tx, order.id));
    await cancel(order.id, buyer.cookie);

    const res = await postOrder(app, newUser().cookie, ticket.id);

    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toBe('Ticket is already reserved');
  });

  it('returns 401 when signed out', async () => {
    const { order } = await buyerWithOrder(db, app);

    const res = await cancel(order.id);

    expect(res.status).toBe(401);
    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'created', version: 0 });
  });

  it("returns 401 for someone else's order and leaves it as it is", async () => {
    const { order } = await buyerWithOrder(db, app);

    const res = await cancel(order.id, newUser().cookie);

    expect(res.status).toBe(401);
    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'created', version: 0 });
  });

  it('returns 404 for an unknown order', async () => {
    const res = await cancel(crypto.randomUUID(), newUser().cookie);

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Order not found' }] });
  });

  it('returns 404 for a malformed id', async () => {
    const res = await cancel('12345', newUser().cookie);

    expect(res.status).toBe(404);
  });

  it('cancels once when the buyer sends DELETE ten times at once', async () => {
    const { buyer, order } = await buyerWithOrder(db, app);

    const responses = await Promise.all(Array.from({ length: 10 }, () => cancel(order.id, buyer.cookie)));

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(204));
    expect(await storedOrder(db, order.id)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await orderEvents(db, 'order.cancelled', order.id)).toHaveLength(1);
  });
});
