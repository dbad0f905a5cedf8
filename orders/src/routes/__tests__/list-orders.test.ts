import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { addTicket, newUser, placeOrderFor, testApp, type TestApp } from '../../__tests__/helpers';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterAll(() => db.drop());

describe('GET /api/orders', () => {
  it('returns 401 when signed out', async () => {
    const res = await request(app).get('/api/orders');

    expect(res.status).toBe(401);
  });

  it('returns an empty list to a buyer without orders', async () => {
    const res = await request(app).get('/api/orders').set('Cookie', newUser().cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it("returns only the caller's orders, oldest first", async () => {
    const buyer = newUser();
    const [a, b, c] = [
      await addTicket(db, { title: 'A' }),
      await addTicket(db, { title: 'B' }),
      await addTicket(db, { title: 'C' }),
    ];
    const first = await placeOrderFor(app, buyer.cookie, a.id);
    await placeOrderFor(app, newUser().cookie, b.id);
    const second = await placeOrderFor(app, buyer.cookie, c.id);

    const res = await request(app).get('/api/orders').set('Cookie', buyer.cookie);

    expect(res.status).toBe(200);
    expect(res.body.map((o: { id: string }) => o.id)).toEqual([first.id, second.id]);
    expect(res.body[0]).toEqual(first);
    expect(res.body[1].ticket).toEqual({ id: c.id, title: 'C', price: c.price, version: 0 });
  });
});
