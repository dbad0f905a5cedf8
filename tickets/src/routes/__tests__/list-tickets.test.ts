import crypto from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { reserveTicket, sellTicket } from '../../domain/reservations';
import { aTicket, testApp } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;

beforeEach(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterEach(() => db.drop());

describe('GET /api/tickets', () => {
  it('returns 200 and an empty list when nothing is for sale', async () => {
    const res = await request(app).get('/api/tickets');

    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('returns the tickets for sale, oldest first, without signing in', async () => {
    const first = await aTicket(db.db, { title: 'First' });
    const second = await aTicket(db.db, { title: 'Second' });
    const third = await aTicket(db.db, { title: 'Third' });

    const res = await request(app).get('/api/tickets');

    expect(res.status).toBe(200);
    expect(res.body).toEqual([first, second, third]);
  });

  it('leaves out reserved and sold tickets', async () => {
    const free = await aTicket(db.db);
    const reserved = await aTicket(db.db);
    const sold = await aTicket(db.db);
    const orderId = crypto.randomUUID();
    await db.db.transaction((tx) =>
      reserveTicket(tx, { orderId: crypto.randomUUID(), ticketId: reserved.id }),
    );
    await db.db.transaction((tx) => reserveTicket(tx, { orderId, ticketId: sold.id }));
    await db.db.transaction((tx) => sellTicket(tx, { orderId, ticketId: sold.id }));

    const res = await request(app).get('/api/tickets');

    expect(res.body.map((t: { id: string }) => t.id)).toEqual([free.id]);
  });
});
