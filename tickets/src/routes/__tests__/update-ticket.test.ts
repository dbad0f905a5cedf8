import crypto from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { reserveTicket, sellTicket } from '../../domain/reservations';
import { aTicket, aUser, putTicket, storedTicket, testApp, ticketEvents } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;
const seller = aUser();

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterAll(() => db.drop());

const sellersTicket = () => aTicket(db.db, { userId: seller.id, title: 'Concert', priceCents: 2_000 });

describe('PUT /api/tickets/:id', () => {
  it('returns 200 with the new title and price and version + 1', async () => {
    const ticket = await sellersTicket();

    const res = await putTicket(app, ticket.id, seller.cookie, { title: 'Opera', price: 35.5 });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...ticket, title: 'Opera', price: 35.5, version: 1 });
    expect(await storedTicket(db.db, ticket.id)).toEqual(res.body);
  });

  it('commits ticket.updated with the new version', async () => {
    const ticket = await sellersTicket();

    await putTicket(app, ticket.id, seller.cookie, { title: 'Opera', price: 35.5 });

    expect(await ticketEvents(db, ticket.id, 'ticket.updated')).toEqual([
      {
        subject: 'ticket.updated',
        data: { id: ticket.id, version: 1, title: 'Opera', price: 35.5, userId: seller.id, orderId: null },
      },
    ]);
  });

  it('returns 401 when signed out', async () => {
    const ticket = await sellersTicket();

    const res = await request(app).put(`/api/tickets/${ticket.id}`).send({ title: 'Opera', price: 10 });

    expect(res.status).toBe(401);
  });

  it('returns 401 when the caller does not own the ticket, and changes nothing', async () => {
    const ticket = await sellersTicket();

    const res = await putTicket(app, ticket.id, aUser().cookie, { title: 'Mine now', price: 1 });

    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
    expect(await storedTicket(db.db, ticket.id)).toEqual(ticket);
    expect(await ticketEvents(db, ticket.id, 'ticket.updated')).toEqual([]);
  });

  it('returns 404 for an unknown ticket', async () => {
    const res = await putTicket(app, crypto.randomUUID(), seller.cookie, { title: 'Opera', price: 10 });

    expect(res.status).toBe(404);
  });

  it('returns 404 for a malformed id', async () => {
    const res = await putTicket(app, '12345', seller.cookie, { title: 'Opera', price: 10 });

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('returns 400 Cannot edit a reserved ticket while an order holds it', async () => {
    const ticket = await sellersTicket();
    await db.db.transaction((tx) => reserveTicket(tx, { orderId: crypto.randomUUID(), ticketId: ticket.id }));

    const res = await putTicket(app, ticket.id, seller.cookie, { title: 'Opera', price: 10 });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Cannot edit a reserved ticket' }] });
    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ title: 'Concert', version: 1 });
  });

  it('returns 400 Cannot edit a reserved ticket once it is sold', async () => {
    const ticket = await sellersTicket();
    const orderId = crypto.randomUUID();
    await db.db.transaction((tx) => reserveTicket(tx, { orderId, ticketId: ticket.id }));
    await db.db.transaction((tx) => sellTicket(tx, { orderId, ticketId: ticket.id }));

    const res = await putTicket(app, ticket.id, seller.cookie, { title: 'Opera', price: 10 });

    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toBe('Cannot edit a reserved ticket');
  });

  it('returns 400 when the price has more than 2 decimals', async () => {
    const ticket = await sellersTicket();

    const res = await putTicket(app, ticket.id, seller.cookie, { title: 'Opera', price: 1.999 });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'Price must have at most 2 decimals', field: 'price' }]);
  });

  it('returns 400 when the title is missing', async () => {
    const ticket = await sellersTicket();

    const res = await putTicket(app, ticket.id, seller.cookie, { price: 10 });

    expect(res.body.errors).toEqual([{ message: 'Title is required', field: 'title' }]);
  });

  it('ignores id, userId, version and orderId in the body', async () => {
    const ticket = await sellersTicket();
    const other = crypto.randomUUID();

    const res = await putTicket(app, ticket.id, seller.cookie, {
      title: 'Opera',
      price: 10,
      id: other,
      userId: other,
      version: 99,
      orderId: other,
    });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: ticket.id,
      title: 'Opera',
      price: 10,
      userId: seller.id,
      version: 1,
      orderId: null,
    });
  });

  it('returns 400 for an unknown field', async () => {
    const ticket = await sellersTicket();

    const res = await putTicket(app, ticket.id, seller.cookie, { title: 'Opera', price: 10, sold: true });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Unknown field', field: 'sold' }] });
  });

  it('applies 20 concurrent edits as versions 1..20, each with exactly one ticket.updated', async () => {
    const ticket = await sellersTicket();

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        putTicket(app, ticket.id, seller.cookie, { title: `Edit ${i}`, price: i + 1 }),
      ),
    );

    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(results.map((r) => r.body.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const stored = await storedTicket(db.db, ticket.id);
    expect(stored.version).toBe(20);
    const events = await ticketEvents(db, ticket.id, 'ticket.updated');
    expect(events.map((e) => e.data.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // The last event is the stored state: no edit was silently overwritten.
    expect(events[19].data).toMatchObject({ title: stored.title, price: stored.price });
    // Each response is exactly the state its event published.
    for (const r of results) {
      expect(events[r.body.version - 1].data).toMatchObject({ title: r.body.title, price: r.body.price });
    }
  });
});
