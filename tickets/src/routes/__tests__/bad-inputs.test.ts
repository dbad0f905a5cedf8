import crypto from 'node:crypto';
import {
  createTestDatabase,
  expectErrorResponse,
  sendRequest,
  type TestDatabase,
} from '@ticketing/common/testing';
import request from 'supertest';
import { aTicket, aUser, testApp } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;
let ticketId: string;
const seller = aUser();

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
  ticketId = (await aTicket(db.db, { userId: seller.id })).id;
});
afterAll(() => db.drop());

interface BadInput {
  name: string;
  /** Sent to POST /api/tickets and PUT /api/tickets/:id unless a method and path are given. */
  method?: 'get' | 'post' | 'put' | 'delete' | 'patch';
  path?: string;
  /** A raw string is sent as is (with `type`); anything else as JSON. */
  body?: unknown;
  type?: string;
  status: number;
}

const huge = 'x'.repeat(110 * 1024);

const badInputs: BadInput[] = [
  { name: 'malformed JSON', body: '{"title": "Concert", "price": ', type: 'application/json', status: 400 },
  {
    name: 'JSON with a trailing comma',
    body: '{"title": "Concert", "price": 10,}',
    type: 'application/json',
    status: 400,
  },
  { name: 'a JSON string', body: '"Concert"', type: 'application/json', status: 400 },
  { name: 'JSON null', body: 'null', type: 'application/json', status: 400 },
  { name: 'a JSON array', body: [{ title: 'Concert', price: 10 }], status: 400 },
  { name: 'an empty object', body: {}, status: 400 },
  { name: 'no body at all', status: 400 },
  {
    name: 'form-encoded body',
    body: 'title=Concert&price=10',
    type: 'application/x-www-form-urlencoded',
    status: 415,
  },
  { name: 'plain text body', body: 'Concert 10', type: 'text/plain', status: 415 },
  { name: 'multipart body', body: '--x\r\n\r\n--x--', type: 'multipart/form-data; boundary=x', status: 415 },
  { name: 'a body over 100 kB', body: { title: huge, price: 10 }, status: 413 },
  { name: 'title missing', body: { price: 10 }, status: 400 },
  { name: 'price missing', body: { title: 'Concert' }, status: 400 },
  { name: 'title null', body: { title: null, price: 10 }, status: 400 },
  { name: 'price null', body: { title: 'Concert', price: null }, status: 400 },
  { name: 'title a number', body: { title: 42, price: 10 }, status: 400 },
  { name: 'title an array', body: { title: ['Concert'], price: 10 }, status: 400 },
  { name: 'title an object', body: { title: { text: 'Concert' }, price: 10 }, status: 400 },
  { name: 'title only spaces', body: { title: ' \t\n ', price: 10 }, status: 400 },
  { name: 'title of 121 characters', body: { title: 'x'.repeat(121), price: 10 }, status: 400 },
  { name: 'title with a NUL byte', body: { title: 'Con\u0000cert', price: 10 }, status: 400 },
  { name: 'price a numeric string', body: { title: 'Concert', price: '10' }, status: 400 },
  { name: 'price a word', body: { title: 'Concert', price: 'ten' }, status: 400 },
  { name: 'price a boolean', body: { title: 'Concert', price: true }, status: 400 },
  { name: 'price an array', body: { title: 'Concert', price: [10] }, status: 400 },
  { name: 'price an object', body: { title: 'Concert', price: { amount: 10 } }, status: 400 },
  { name: 'price negative', body: { title: 'Concert', price: -5 }, status: 400 },
  { name: 'price zero', body: { title: 'Concert', price: 0 }, status: 400 },
  { name: 'price over 1,000,000', body: { title: 'Concert', price: 1_000_001 }, status: 400 },
  { name: 'price with 3 decimals', body: { title: 'Concert', price: 10.123 }, status: 400 },
  {
    name: 'price too large for a double (1e400 is Infinity)',
    body: '{"title":"Concert","price":1e400}',
    type: 'application/json',
    status: 400,
  },
  { name: 'price tiny (1e-9)', body: { title: 'Concert', price: 1e-9 }, status: 400 },
  { name: 'an unknown field', body: { title: 'Concert', price: 10, discount: 5 }, status: 400 },
  {
    name: 'a __proto__ key',
    body: '{"title":"Concert","price":10,"__proto__":{"x":1}}',
    type: 'application/json',
    status: 400,
  },
  { name: 'an unsupported charset', body: '{}', type: 'application/json; charset=koi8-r', status: 415 },
  { name: 'a malformed id on GET', method: 'get', path: '/api/tickets/not-a-uuid', status: 404 },
  { name: 'an id with SQL in it', method: 'get', path: "/api/tickets/1'%20or%20'1'='1", status: 404 },
  {
    name: 'a malformed percent-encoding in the path',
    method: 'get',
    path: '/api/tickets/%E0%A4%A',
    status: 400,
  },
  {
    name: 'an unknown ticket on GET',
    method: 'get',
    path: `/api/tickets/${crypto.randomUUID()}`,
    status: 404,
  },
  {
    name: 'a malformed id on PUT',
    method: 'put',
    path: '/api/tickets/123',
    body: { title: 'Concert', price: 10 },
    status: 404,
  },
  { name: 'DELETE on a ticket', method: 'delete', path: `/api/tickets/${crypto.randomUUID()}`, status: 404 },
  {
    name: 'PATCH on a ticket',
    method: 'patch',
    path: `/api/tickets/${crypto.randomUUID()}`,
    body: {},
    status: 404,
  },
  { name: 'an unknown route', method: 'get', path: '/api/tickets/a/b', status: 404 },
];

describe('bad inputs to tickets', () => {
  const cases = badInputs.flatMap((input) =>
    input.path
      ? [{ ...input, method: input.method!, path: input.path }]
      : [
          { ...input, method: 'post' as const, path: '/api/tickets' },
          { ...input, method: 'put' as const, path: '/api/tickets/:ticket' },
        ],
  );

  it('has at least 30 distinct bad inputs', () => {
    expect(badInputs.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [`${c.name} → ${c.status} on ${c.method.toUpperCase()} ${c.path}`, c] as const))(
    '%s',
    async (_, input) => {
      const res = await sendRequest(request(app), {
        ...input,
        path: input.path.replace(':ticket', ticketId),
        cookie: seller.cookie,
      });

      expectErrorResponse(res, input.status);
    },
  );

  it('left the ticket untouched and committed no event', async () => {
    const { rows } = await db.pool.query(
      "select count(*)::int as n from outbox where subject = 'ticket.updated'",
    );
    const res = await request(app).get(`/api/tickets/${ticketId}`);

    expect(rows[0].n).toBe(0);
    expect(res.body).toMatchObject({ title: 'Concert', version: 0 });
  });
});
