import crypto from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import { eq } from 'drizzle-orm';
import request from 'supertest';
import {
  addTicket,
  newUser,
  orderEvents,
  outboxEvents,
  postOrder,
  storedOrder,
  testApp,
  type TestApp,
} from '../../__tests__/helpers';
import { orders } from '../../db/schema';
import { cancelOrder } from '../../domain/order-status';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  // 50 concurrent requests each hold a connection for their transaction.
  db = await createTestDatabase({ max: 60 });
  app = testApp(db, { EXPIRATION_WINDOW_SECONDS: '60' });
});
afterAll(() => db.drop());

describe('POST /api/orders', () => {
  it('returns 401 when signed out', async () => {
    const ticket = await addTicket(db);

    const res = await request(app).post('/api/orders').send({ ticketId: ticket.id });

    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: [{ message: expect.any(String) }] });
  });

  it('returns 400 naming ticketId when it is missing', async () => {
    const res = await request(app).post('/api/orders').set('Cookie', newUser().cookie).send({});

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: expect.any(String), field: 'ticketId' }]);
  });

  it('returns 400 naming ticketId when it is not a UUID', async () => {
    const res = await request(app)
      .post('/api/orders')
      .set('Cookie', newUser().cookie)
      .send({ ticketId: 'abc' });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: expect.any(String), field: 'ticketId' }]);
  });

  it('returns 404 for a ticket the replica does not know', async () => {
    const res = await postOrder(app, newUser().cookie, crypto.randomUUID());

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Ticket not found' }] });
  });

  it('returns 201 with the order, its ticket and an expiry EXPIRATION_WINDOW_SECONDS ahead', async () => {
    const ticket = await addTicket(db, { title: 'Opera', price: 45.5 });
    const buyer = newUser();
    const before = Date.now();

    const res = await postOrder(app, buyer.cookie, ticket.id);

    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      userId: buyer.id,
      status: 'created',
      expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      ticket: { id: ticket.id, title: 'Opera', price: 45.5, version: 0 },
      version: 0,
    });
    const expiresInMs = Date.parse(res.body.expiresAt) - before;
    expect(expiresInMs).toBeGreaterThanOrEqual(60_000);
    expect(expiresInMs).toBeLessThan(65_000);
  });

  it('stores the order as created at version 0', async () => {
    const ticket = await addTicket(db);
    const buyer = newUser();

    const res = await postOrder(app, buyer.cookie, ticket.id);

    expect(await storedOrder(db, res.body.id)).toMatchObject({
      userId: buyer.id,
      ticketId: ticket.id,
      status: 'created',
      version: 0,
      expiresAt: new Date(res.body.expiresAt),
    });
  });

  it('commits order.created with the ticket price to the outbox', async () => {
    const ticket = await addTicket(db, { price: 12.34 });
    const buyer = newUser();

    const res = await postOrder(app, buyer.cookie, ticket.id);

    expect(await orderEvents(db, 'order.created', res.body.id)).toEqual([
      {
        id: res.body.id,
        version: 0,
        status: 'created',
        userId: buyer.id,
        expiresAt: res.body.expiresAt,
        ticket: { id: ticket.id, price: 12.34 },
      },
    ]);
  });

  it('returns 400 Ticket is already reserved when a live order holds the ticket', async () => {
    const ticket = await addTicket(db);
    await postOrder(app, newUser().cookie, ticket.id);

    const res = await postOrder(app, newUser().cookie, ticket.id);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Ticket is already reserved', field: 'ticketId' }] });
  });

  it('commits no event for a refused order', async () => {
    const ticket = await addTicket(db);
    await postOrder(app, newUser().cookie, ticket.id);

    await postOrder(app, newUser().cookie, ticket.id);

    const forTicket = (await outboxEvents(db, 'order.created')).filter((e) => e.ticket.id === ticket.id);
    expect(forTicket).toHaveLength(1);
  });

  it('returns 201 for a ticket whose earlier order was cancelled', async () => {
    const ticket = await addTicket(db);
    const first = newUser();
    const firstOrder = await postOrder(app, first.cookie, ticket.id);
    await db.db.transaction((tx) => cancelOrder(tx, { orderId: firstOrder.body.id, userId: first.id }));

    const res = await postOrder(app, newUser().cookie, ticket.id);

    expect(res.status).toBe(201);
  });

  it('gives exactly one 201 to 50 concurrent buyers of one ticket', async () => {
    const ticket = await addTicket(db);
    const buyers = Array.from({ length: 50 }, () => newUser());

    const responses = await Promise.all(buyers.map((b) => postOrder(app, b.cookie, ticket.id)));

    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(49);
    for (const r of responses.filter((x) => x.status === 400)) {
      expect(r.body.errors).toEqual([{ message: 'Ticket is already reserved', field: 'ticketId' }]);
    }
    expect(await db.db.select().from(orders).where(eq(orders.ticketId, ticket.id))).toHaveLength(1);
    expect((await outboxEvents(db, 'order.created')).filter((e) => e.ticket.id === ticket.id)).toHaveLength(
      1,
    );
  });

  it('returns 429 with Retry-After to the 11th unpaid order of one buyer', async () => {
    const buyer = newUser();
    const tickets = await Promise.all(Array.from({ length: 11 }, () => addTicket(db)));
    for (const ticket of tickets.slice(0, 10)) {
      expect((await postOrder(app, buyer.cookie, ticket.id)).status).toBe(201);
    }

    const res = await postOrder(app, buyer.cookie, tickets[10].id);

    expect(res.status).toBe(429);
    expect(res.body).toEqual({ errors: [{ message: expect.any(String) }] });
    // The oldest unpaid order expires within EXPIRATION_WINDOW_SECONDS (60).
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(await db.db.select().from(orders).where(eq(orders.ticketId, tickets[10].id))).toHaveLength(0);
  });

  it('lets a buyer order again once one of their unpaid orders is cancelled', async () => {
    const buyer = newUser();
    const tickets = await Promise.all(Array.from({ length: 11 }, () => addTicket(db)));
    const placed: string[] = [];
    for (const ticket of tickets.slice(0, 10)) {
      placed.push((await postOrder(app, buyer.cookie, ticket.id)).body.id);
    }
    expect((await postOrder(app, buyer.cookie, tickets[10].id)).status).toBe(429);

    await db.db.transaction((tx) => cancelOrder(tx, { orderId: placed[0], userId: buyer.id }));

    expect((await postOrder(app, buyer.cookie, tickets[10].id)).status).toBe(201);
  });

  it('gives exactly 10 of 20 concurrent orders of one buyer a 201', async () => {
    const buyer = newUser();
    const tickets = await Promise.all(Array.from({ length: 20 }, () => addTicket(db)));

    const responses = await Promise.all(tickets.map((t) => postOrder(app, buyer.cookie, t.id)));

    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    expect(await db.db.select().from(orders).where(eq(orders.userId, buyer.id))).toHaveLength(10);
  });

  it('applies MAX_LIVE_ORDERS_PER_USER', async () => {
    const strict = testApp(db, { EXPIRATION_WINDOW_SECONDS: '60', MAX_LIVE_ORDERS_PER_USER: '1' });
    const buyer = newUser();
    const [first, second] = [await addTicket(db), await addTicket(db)];
    expect((await postOrder(strict, buyer.cookie, first.id)).status).toBe(201);

    const res = await postOrder(strict, buyer.cookie, second.id);

    expect(res.status).toBe(429);
  });
});
