import crypto from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { reserveTicket } from '../../domain/reservations';
import { aTicket, testApp } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterAll(() => db.drop());

describe('GET /api/tickets/:id', () => {
  it('returns 200 with the ticket, without signing in', async () => {
    const ticket = await aTicket(db.db, { title: 'Opera', priceCents: 12_345 });

    const res = await request(app).get(`/api/tickets/${ticket.id}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...ticket, title: 'Opera', price: 123.45 });
  });

  it('shows a reserved ticket with the order holding it', async () => {
    const ticket = await aTicket(db.db);
    const orderId = crypto.randomUUID();
    await db.db.transaction((tx) => reserveTicket(tx, { orderId, ticketId: ticket.id }));

    const res = await request(app).get(`/api/tickets/${ticket.id}`);

    expect(res.body).toMatchObject({ orderId, version: 1 });
  });

  it('returns 404 for an unknown ticket', async () => {
    const res = await request(app).get(`/api/tickets/${crypto.randomUUID()}`);

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('returns 404 for a malformed id', async () => {
    const res = await request(app).get('/api/tickets/not-a-uuid');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not found' }] });
  });
});
