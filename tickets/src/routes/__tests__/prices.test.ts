/**
 * Prices at the edges, through POST and PUT /api/tickets. Bodies are raw JSON text: JSON.stringify
 * would turn -0 into 0, and the point is what a hostile client can actually send.
 */
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { aTicket, aUser, testApp } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;
let ticketId: string;
const seller = aUser();

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
  ticketId = (await aTicket(db.db, { userId: seller.id, priceCents: 2_000 })).id;
});
afterAll(() => db.drop());

function send(method: 'post' | 'put', price: string) {
  const path = method === 'post' ? '/api/tickets' : `/api/tickets/${ticketId}`;
  return request(app)
    [method](path)
    .set('Cookie', seller.cookie)
    .set('Content-Type', 'application/json')
    .send(`{"title":"Concert","price":${price}}`);
}

const refused: [price: string, message: string][] = [
  ['1e-17', 'Price must have at most 2 decimals'],
  ['5e-324', 'Price must have at most 2 decimals'],
  ['0.001', 'Price must have at most 2 decimals'],
  ['0.004', 'Price must have at most 2 decimals'],
  ['0.005', 'Price must have at most 2 decimals'],
  ['19.999', 'Price must have at most 2 decimals'],
  ['1e308', 'Price must be at most 1000000'],
  ['1e400', 'Price must be a number'],
  ['1000000.01', 'Price must be at most 1000000'],
  ['-0', 'Price must be greater than 0'],
  ['0', 'Price must be greater than 0'],
  ['-0.01', 'Price must be greater than 0'],
  ['"NaN"', 'Price must be a number'],
  ['"19.99"', 'Price must be a number'],
];

describe.each(['post', 'put'] as const)('%s /api/tickets prices', (method) => {
  it.each(refused)('answers 400 on price for %s: %s', async (price, message) => {
    const res = await send(method, price);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message, field: 'price' }] });
  });

  it.each([
    ['0.01', 0.01],
    ['0.49', 0.49],
    ['0.5', 0.5],
    ['19.99', 19.99],
    ['19.990', 19.99],
    ['1e2', 100],
    ['999999.99', 999_999.99],
    ['1000000', 1_000_000],
  ])('accepts the price %s and returns it as %p', async (price, shown) => {
    const res = await send(method, price);

    expect(res.status).toBe(method === 'post' ? 201 : 200);
    expect(res.body.price).toBe(shown);
  });
});

describe('stored prices', () => {
  it('stores exact cents and never a price below one cent', async () => {
    const { rows } = await db.pool.query<{ min: number; n: number }>(
      'select min(price_cents)::int as min, count(*)::int as n from tickets',
    );

    expect(rows[0]!.min).toBe(1);
    expect(rows[0]!.n).toBeGreaterThan(1);
  });
});
