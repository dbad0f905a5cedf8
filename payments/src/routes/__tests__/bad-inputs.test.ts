import crypto from 'node:crypto';
import request from 'supertest';
import { createTestDatabase, sessionCookie, type TestDatabase } from '@ticketing/common/testing';
import { SandboxProvider } from '../../providers';
import { buildOrder, jwtKey, testApp } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;
let provider: SandboxProvider;
let cookie: string;

beforeAll(async () => {
  db = await createTestDatabase();
  provider = new SandboxProvider();
  app = testApp(db.db, provider);
  const order = await buildOrder(db.db);
  cookie = sessionCookie(jwtKey, { id: order.userId });
});

afterAll(async () => {
  await db?.drop();
});

const uuid = () => crypto.randomUUID();

// Each case: a name, a raw body (string, sent as-is) or a JSON value, and optionally a content type.
const cases: { name: string; body: unknown; raw?: boolean; type?: string }[] = [
  { name: 'malformed JSON', body: '{"orderId": ', raw: true },
  { name: 'a trailing comma', body: '{"orderId": "x", "token": "tok_visa",}', raw: true },
  { name: 'a JSON string body', body: '"tok_visa"', raw: true },
  { name: 'a JSON number body', body: '42', raw: true },
  { name: 'a JSON null body', body: 'null', raw: true },
  { name: 'an array body', body: [{ orderId: 'x', token: 'tok_visa' }] },
  { name: 'an empty object', body: {} },
  { name: 'a missing orderId', body: { token: 'tok_visa' } },
  { name: 'a missing token', body: { orderId: uuid() } },
  { name: 'a null orderId', body: { orderId: null, token: 'tok_visa' } },
  { name: 'a null token', body: { orderId: uuid(), token: null } },
  { name: 'a numeric orderId', body: { orderId: 12345, token: 'tok_visa' } },
  { name: 'a numeric token', body: { orderId: uuid(), token: 4242424242424242 } },
  { name: 'a boolean token', body: { orderId: uuid(), token: true } },
  { name: 'an orderId array', body: { orderId: [uuid()], token: 'tok_visa' } },
  { name: 'a token array', body: { orderId: uuid(), token: ['tok_visa'] } },
  { name: 'an orderId object', body: { orderId: { $ne: null }, token: 'tok_visa' } },
  { name: 'a token object', body: { orderId: uuid(), token: { id: 'tok_visa' } } },
  { name: 'an orderId that is not a UUID', body: { orderId: 'order-1', token: 'tok_visa' } },
  { name: 'an empty orderId', body: { orderId: '', token: 'tok_visa' } },
  { name: 'a UUID with SQL after it', body: { orderId: `${uuid()}' or '1'='1`, token: 'tok_visa' } },
  { name: 'an empty token', body: { orderId: uuid(), token: '' } },
  { name: 'a whitespace token', body: { orderId: uuid(), token: '   ' } },
  { name: 'a token of 256 characters', body: { orderId: uuid(), token: 'a'.repeat(256) } },
  { name: 'a token with spaces', body: { orderId: uuid(), token: 'tok visa' } },
  { name: 'a token with markup', body: { orderId: uuid(), token: '<script>alert(1)</script>' } },
  { name: 'a token with a NUL', body: { orderId: uuid(), token: 'tok_\u0000visa' } },
  { name: 'an unknown field', body: { orderId: uuid(), token: 'tok_visa', amount: 1 } },
  { name: 'a userId field', body: { orderId: uuid(), token: 'tok_visa', userId: uuid() } },
  {
    name: 'a __proto__ field',
    body: '{"orderId": "x", "token": "tok_visa", "__proto__": {"admin": true}}',
    raw: true,
  },
  { name: 'a body over 100 kB', body: { orderId: uuid(), token: 'x'.repeat(110_000) } },
  { name: 'a text/plain body', body: 'orderId=x&token=tok_visa', raw: true, type: 'text/plain' },
  {
    name: 'a form-encoded body',
    body: 'orderId=x&token=tok_visa',
    raw: true,
    type: 'application/x-www-form-urlencoded',
  },
  {
    name: 'an XML body',
    body: '<payment><orderId>x</orderId></payment>',
    raw: true,
    type: 'application/xml',
  },
  {
    name: 'deeply nested JSON',
    body: { orderId: uuid(), token: JSON.parse('['.repeat(500) + ']'.repeat(500)) },
  },
];

describe('POST /api/payments with bad input', () => {
  it.each(cases)('answers $name with a 4xx in the error shape', async ({ body, raw, type }) => {
    let req = request(app).post('/api/payments').set('Cookie', cookie);
    if (type) req = req.set('Content-Type', type);
    else if (raw) req = req.set('Content-Type', 'application/json');
    const res = await req.send(raw ? (body as string) : (body as object));

    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ message: expect.any(String) })]),
    );
    expect(provider.charges).toHaveLength(0);
  });
});
