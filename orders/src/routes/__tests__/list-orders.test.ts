import { parseLinks } from '@ticketing/common';
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

const ids = (body: { id: string }[]) => body.map((o) => o.id);

/** `buyer` orders `n` new tickets; the orders come back oldest first. */
async function ordersOf(buyer: { cookie: string }, n: number) {
  const placed = [];
  for (let i = 0; i < n; i++) placed.push(await placeOrderFor(app, buyer.cookie, (await addTicket(db)).id));
  return placed;
}

/** GET `path` as `cookie`, and the targets of its Link header. */
async function getPage(path: string, cookie: string) {
  const res = await request(app).get(path).set('Cookie', cookie);
  return { res, links: parseLinks(res.headers.link) };
}

describe('GET /api/orders', () => {
  it('returns 401 when signed out', async () => {
    const res = await request(app).get('/api/orders');

    expect(res.status).toBe(401);
  });

  it('returns an empty list to a buyer without orders', async () => {
    const res = await request(app).get('/api/orders').set('Cookie', newUser().cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers.link).toBeUndefined();
  });

  it("returns only the caller's orders, newest first", async () => {
    const buyer = newUser();
    const [a, b, c] = [
      await addTicket(db, { title: 'A' }),
      await addTicket(db, { title: 'B' }),
      await addTicket(db, { title: 'C' }),
    ];
    const older = await placeOrderFor(app, buyer.cookie, a.id);
    await placeOrderFor(app, newUser().cookie, b.id);
    const newer = await placeOrderFor(app, buyer.cookie, c.id);

    const res = await request(app).get('/api/orders').set('Cookie', buyer.cookie);

    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual([newer.id, older.id]);
    expect(res.body[1]).toEqual(older);
    expect(res.body[0].ticket).toEqual({ id: c.id, title: 'C', price: c.price, version: 0 });
  });
});

describe('GET /api/orders pages', () => {
  it("pages through the caller's orders only, newest first, with no next link on the last page", async () => {
    const buyer = newUser();
    const other = newUser();
    const mine = await ordersOf(buyer, 3);
    await ordersOf(other, 2);
    mine.push(...(await ordersOf(buyer, 2)));

    const first = await getPage('/api/orders?limit=2', buyer.cookie);
    const second = await getPage(first.links.next!, buyer.cookie);
    const last = await getPage(second.links.next!, buyer.cookie);

    const newestFirst = ids(mine).reverse();
    expect(ids(first.res.body)).toEqual(newestFirst.slice(0, 2));
    expect(ids(second.res.body)).toEqual(newestFirst.slice(2, 4));
    expect(ids(last.res.body)).toEqual(newestFirst.slice(4));
    expect(last.links.next).toBeUndefined();
    expect(first.links.next).toMatch(/^\/api\/orders\?limit=2&cursor=[\w-]+$/);
  });

  it('links back to the previous page', async () => {
    const buyer = newUser();
    const mine = ids(await ordersOf(buyer, 3)).reverse();

    const first = await getPage('/api/orders?limit=2', buyer.cookie);
    const second = await getPage(first.links.next!, buyer.cookie);
    const back = await getPage(second.links.prev!, buyer.cookie);

    expect(ids(back.res.body)).toEqual(mine.slice(0, 2));
    expect(back.links.prev).toBeUndefined();
  });

  it("shows another buyer nothing of the caller's through the caller's cursor", async () => {
    const buyer = newUser();
    await ordersOf(buyer, 2);
    const { links } = await getPage('/api/orders?limit=1', buyer.cookie);

    const res = await request(app).get(links.next!).set('Cookie', newUser().cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it.each(['0', '-5', '101', 'abc'])('returns 400 on field limit when limit is %j', async (limit) => {
    const res = await request(app).get(`/api/orders?limit=${limit}`).set('Cookie', newUser().cookie);

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: expect.any(String), field: 'limit' }]);
  });

  it('returns 400 on field cursor when the cursor is not one it gave out', async () => {
    const res = await request(app).get('/api/orders?cursor=bm90LWEtY3Vyc29y').set('Cookie', newUser().cookie);

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: expect.any(String), field: 'cursor' }]);
  });
});
