import crypto from 'node:crypto';
import {
  createTestDatabase,
  expectErrorResponse,
  sendRequest,
  type TestDatabase,
} from '@ticketing/common/testing';
import request from 'supertest';
import { addTicket, newUser, postOrder, testApp, type TestApp } from '../../__tests__/helpers';

let db: TestDatabase;
let app: TestApp;
let ticketId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
  ticketId = (await addTicket(db)).id;
});
afterAll(() => db.drop());

interface BadInput {
  name: string;
  method?: 'post' | 'get' | 'put' | 'patch' | 'delete';
  /** `/api/orders` by default. */
  path?: string;
  /** A raw string is sent as is (with `type`); a function gets the known ticket's id; anything else is sent as JSON. */
  body?: unknown;
  type?: string;
  /** Signed in unless set to a Cookie header (or null for none). */
  cookie?: string | null;
  status: number;
}

const validId = '6f1c2b7e-3d4a-4e5f-9a8b-1c2d3e4f5a6b';
const json = 'application/json';

const badInputs: BadInput[] = [
  { name: 'malformed JSON', body: '{"ticketId": ', type: json, status: 400 },
  { name: 'a JSON string', body: '"a ticket"', type: json, status: 400 },
  { name: 'a JSON number', body: '42', type: json, status: 400 },
  { name: 'JSON null', body: 'null', type: json, status: 400 },
  { name: 'a JSON array', body: [{ ticketId: validId }], status: 400 },
  { name: 'an empty object', body: {}, status: 400 },
  { name: 'no body at all', status: 400 },
  {
    name: 'a form-encoded body',
    body: `ticketId=${validId}`,
    type: 'application/x-www-form-urlencoded',
    status: 415,
  },
  { name: 'a plain text body', body: validId, type: 'text/plain', status: 415 },
  { name: 'an XML body', body: `<order ticketId="${validId}"/>`, type: 'application/xml', status: 415 },
  {
    name: 'an unsupported charset',
    body: `{"ticketId":"${validId}"}`,
    type: 'application/json; charset=koi8-r',
    status: 415,
  },
  { name: 'a body over 100 kB', body: { ticketId: validId, note: 'x'.repeat(110 * 1024) }, status: 413 },
  { name: 'ticketId null', body: { ticketId: null }, status: 400 },
  { name: 'ticketId a number', body: { ticketId: 12345 }, status: 400 },
  { name: 'ticketId a boolean', body: { ticketId: true }, status: 400 },
  { name: 'ticketId an array of a valid id', body: { ticketId: [validId] }, status: 400 },
  { name: 'ticketId an object', body: { ticketId: { $ne: null } }, status: 400 },
  { name: 'ticketId an empty string', body: { ticketId: '' }, status: 400 },
  { name: 'ticketId not a UUID', body: { ticketId: 'abc' }, status: 400 },
  { name: 'ticketId a UUID without dashes', body: { ticketId: validId.replaceAll('-', '') }, status: 400 },
  { name: 'ticketId a UUID with a suffix', body: { ticketId: `${validId}0` }, status: 400 },
  { name: 'ticketId an SQL injection', body: { ticketId: "' or 1=1 --" }, status: 400 },
  { name: 'ticketId far too long', body: { ticketId: 'a'.repeat(5000) }, status: 400 },
  { name: 'ticketId a valid but unknown UUID', body: { ticketId: crypto.randomUUID() }, status: 404 },
  { name: 'an unknown field', body: { ticketId: validId, price: 1 }, status: 400 },
  { name: 'a userId field (choosing the buyer)', body: { ticketId: validId, userId: validId }, status: 400 },
  { name: 'a status field', body: { ticketId: validId, status: 'complete' }, status: 400 },
  {
    name: 'a __proto__ key',
    body: `{"ticketId":"${validId}","__proto__":{"admin":true}}`,
    type: json,
    status: 400,
  },
  { name: 'signed out', body: { ticketId: validId }, cookie: null, status: 401 },
  {
    name: 'a garbage session cookie',
    body: { ticketId: validId },
    cookie: 'session=not-base64-json',
    status: 401,
  },
  {
    name: 'a session signed with another key',
    body: { ticketId: validId },
    cookie: forgedCookie(),
    status: 401,
  },
  { name: 'GET a malformed order id', method: 'get', path: '/api/orders/not-an-id', status: 404 },
  {
    name: 'GET an SQL injection as id',
    method: 'get',
    path: `/api/orders/${encodeURIComponent("1' or '1'='1")}`,
    status: 404,
  },
  { name: 'GET a very long id', method: 'get', path: `/api/orders/${'9'.repeat(3000)}`, status: 404 },
  { name: 'GET an id with a suffix', method: 'get', path: `/api/orders/${validId}x`, status: 404 },
  { name: 'GET an unknown order', method: 'get', path: `/api/orders/${validId}`, status: 404 },
  { name: 'GET a nested path', method: 'get', path: `/api/orders/${validId}/ticket`, status: 404 },
  { name: 'DELETE a malformed order id', method: 'delete', path: '/api/orders/12345', status: 404 },
  { name: 'DELETE the collection', method: 'delete', path: '/api/orders', status: 404 },
  {
    name: 'DELETE with malformed JSON',
    method: 'delete',
    path: `/api/orders/${validId}`,
    body: '{oops',
    type: json,
    status: 400,
  },
  {
    name: 'PUT an order',
    method: 'put',
    path: `/api/orders/${validId}`,
    body: { status: 'complete' },
    status: 404,
  },
  { name: 'PATCH the collection', method: 'patch', path: '/api/orders', body: {}, status: 404 },
  { name: 'GET the list signed out', method: 'get', cookie: null, status: 401 },
];

/** A session cookie for a valid-looking user, signed with a key orders does not know. */
function forgedCookie(): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ id: validId, email: 'a@b.co', iat: 1, exp: 4_000_000_000 })}`;
  const token = `${unsigned}.${crypto.createHmac('sha256', 'some-other-key').update(unsigned).digest('base64url')}`;
  return `session=${Buffer.from(JSON.stringify({ jwt: token })).toString('base64')}`;
}

describe('bad inputs to orders', () => {
  it('has at least 30 distinct bad inputs', () => {
    expect(badInputs.length).toBeGreaterThanOrEqual(30);
  });

  it.each(badInputs.map((c) => [`${c.name} → ${c.status}`, c] as const))('%s', async (_, input) => {
    const res = await sendRequest(request(app), {
      ...input,
      method: input.method ?? 'post',
      path: input.path ?? '/api/orders',
      cookie: input.cookie === undefined ? newUser().cookie : input.cookie,
    });

    expectErrorResponse(res, input.status);
  });

  it('still places a good order after all of them', async () => {
    const res = await postOrder(app, newUser().cookie, ticketId);

    expect(res.status).toBe(201);
  });
});
