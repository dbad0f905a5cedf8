import crypto from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { addTicket, newUser, placeOrderFor, testApp, type TestApp } from '../../__tests__/helpers';
import { applyTicketVersion } from '../../domain/ticket-replica';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterAll(() => db.drop());

describe('GET /api/orders/:id', () => {
  it('returns 200 with the order to its buyer', async () => {
    const buyer = newUser();
    const ticket = await addTicket(db);
    const order = await placeOrderFor(app, buyer.cookie, ticket.id);

    const res = await request(app).get(`/api/orders/${order.id}`).set('Cookie', buyer.cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual(order);
  });

  it("shows the ticket's current title, price and version from the replica", async () => {
    const buyer = newUser();
    const ticket = await addTicket(db, { title: 'Old', price: 5 });
    const order = await placeOrderFor(app, buyer.cookie, ticket.id);
    await db.db.transaction((tx) =>
      applyTicketVersion(tx, { id: ticket.id, version: 1, title: 'New', price: 10 }),
    );
    await db.db.transaction((tx) =>
      applyTicketVersion(tx, { id: ticket.id, version: 2, title: 'New', price: 15 }),
    );

    const res = await request(app).get(`/api/orders/${order.id}`).set('Cookie', buyer.cookie);

    expect(res.body.ticket).toEqual({ id: ticket.id, title: 'New', price: 15, version: 2 });
  });

  it('returns 401 when signed out', async () => {
    const buyer = newUser();
    const order = await placeOrderFor(app, buyer.cookie, (await addTicket(db)).id);

    const res = await request(app).get(`/api/orders/${order.id}`);

    expect(res.status).toBe(401);
  });

  it("returns 401 for someone else's order", async () => {
    const order = await placeOrderFor(app, newUser().cookie, (await addTicket(db)).id);

    const res = await request(app).get(`/api/orders/${order.id}`).set('Cookie', newUser().cookie);

    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: [{ message: expect.any(String) }] });
  });

  it('returns 404 for an unknown order', async () => {
    const res = await request(app).get(`/api/orders/${crypto.randomUUID()}`).set('Cookie', newUser().cookie);

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Order not found' }] });
  });

  it('returns 404 for a malformed id', async () => {
    const res = await request(app).get('/api/orders/not-a-uuid').set('Cookie', newUser().cookie);

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Order not found' }] });
  });
});
