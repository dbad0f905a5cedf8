import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { aUser, storedTicket, testApp, ticketEvents } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;
const seller = aUser();

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterAll(() => db.drop());

function post(body: object, cookie = seller.cookie) {
  return request(app).post('/api/tickets').set('Cookie', cookie).send(body);
}

describe('POST /api/tickets', () => {
  it('returns 201 with the ticket at version 0, owned by the caller and free', async () => {
    const res = await post({ title: 'Concert', price: 19.99 });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: 'Concert',
      price: 19.99,
      userId: seller.id,
      version: 0,
      orderId: null,
    });
  });

  it('stores the ticket with the price in integer cents', async () => {
    const res = await post({ title: 'Concert', price: 19.99 });

    const { rows } = await db.pool.query('select price_cents, user_id, version from tickets where id = $1', [
      res.body.id,
    ]);
    expect(rows[0]).toEqual({ price_cents: 1999, user_id: seller.id, version: 0 });
    expect(await storedTicket(db.db, res.body.id)).toEqual(res.body);
  });

  it('commits one ticket.created event with the ticket', async () => {
    const res = await post({ title: 'Concert', price: 10 });

    expect(await ticketEvents(db, res.body.id)).toEqual([
      {
        subject: 'ticket.created',
        data: { id: res.body.id, version: 0, title: 'Concert', price: 10, userId: seller.id },
      },
    ]);
  });

  it('returns 401 when signed out, and stores nothing', async () => {
    const res = await request(app).post('/api/tickets').send({ title: 'Concert', price: 10 });

    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
  });

  it('trims the title', async () => {
    const res = await post({ title: '  Concert  ', price: 10 });

    expect(res.body.title).toBe('Concert');
  });

  it('returns 400 when the title is empty after trimming', async () => {
    const res = await post({ title: '   ', price: 10 });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Title is required', field: 'title' }] });
  });

  it('returns 400 when the title is longer than 120 characters', async () => {
    const res = await post({ title: 'x'.repeat(121), price: 10 });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [{ message: 'Title must be at most 120 characters', field: 'title' }],
    });
  });

  it('accepts a title of 120 characters, counting emoji as one', async () => {
    const res = await post({ title: '🎫'.repeat(120), price: 10 });

    expect(res.status).toBe(201);
  });

  it('returns 400 when the price is negative', async () => {
    const res = await post({ title: 'Concert', price: -10 });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Price must be greater than 0', field: 'price' }] });
  });

  it('returns 400 when the price is 0', async () => {
    const res = await post({ title: 'Concert', price: 0 });

    expect(res.body.errors).toEqual([{ message: 'Price must be greater than 0', field: 'price' }]);
  });

  it('returns 400 when the price is a numeric string', async () => {
    const res = await post({ title: 'Concert', price: '10' });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'Price must be a number', field: 'price' }]);
  });

  it('returns 400 when the price is over 1,000,000', async () => {
    const res = await post({ title: 'Concert', price: 1_000_000.01 });

    expect(res.body.errors).toEqual([{ message: 'Price must be at most 1000000', field: 'price' }]);
  });

  it('returns 400 when the price has more than 2 decimals', async () => {
    const res = await post({ title: 'Concert', price: 10.005 });

    expect(res.body.errors).toEqual([{ message: 'Price must have at most 2 decimals', field: 'price' }]);
  });

  it('accepts the smallest and largest prices, 0.01 and 1,000,000', async () => {
    const low = await post({ title: 'Cheap', price: 0.01 });
    const high = await post({ title: 'Dear', price: 1_000_000 });

    expect([low.status, low.body.price, high.status, high.body.price]).toEqual([201, 0.01, 201, 1_000_000]);
  });

  it('returns one error per bad field', async () => {
    const res = await post({});

    expect(res.body.errors).toEqual([
      { message: 'Title is required', field: 'title' },
      { message: 'Price must be a number', field: 'price' },
    ]);
  });

  it('ignores id, userId, version and orderId in the body', async () => {
    const res = await post({
      title: 'Concert',
      price: 10,
      id: '11111111-1111-4111-8111-111111111111',
      userId: '22222222-2222-4222-8222-222222222222',
      version: 7,
      orderId: '33333333-3333-4333-8333-333333333333',
    });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ userId: seller.id, version: 0, orderId: null });
    expect(res.body.id).not.toBe('11111111-1111-4111-8111-111111111111');
  });

  it('returns 400 for an unknown field', async () => {
    const res = await post({ title: 'Concert', price: 10, soldAt: 'now' });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Unknown field', field: 'soldAt' }] });
  });
});
