import {
  createTestDatabase,
  expectErrorResponse,
  sendRequest,
  type TestDatabase,
} from '@ticketing/common/testing';
import request from 'supertest';
import { PASSWORD, testApp, uniqueEmail } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterAll(() => db.drop());

interface BadInput {
  name: string;
  method?: 'post' | 'get' | 'put' | 'delete';
  path?: string;
  /** A raw string is sent as is (with `type`); anything else as JSON. */
  body?: unknown;
  type?: string;
  status: number;
}

const email = 'someone@example.com';
const huge = 'x'.repeat(110 * 1024);

const badInputs: BadInput[] = [
  { name: 'malformed JSON', body: '{"email": "a@b.co", "password": ', type: 'application/json', status: 400 },
  { name: 'a JSON string', body: '"just a string"', type: 'application/json', status: 400 },
  { name: 'a JSON number', body: '42', type: 'application/json', status: 400 },
  { name: 'JSON null', body: 'null', type: 'application/json', status: 400 },
  { name: 'a JSON array', body: [{ email, password: PASSWORD }], status: 400 },
  { name: 'an empty object', body: {}, status: 400 },
  { name: 'no body at all', status: 400 },
  {
    name: 'form-encoded body',
    body: `email=${email}&password=${PASSWORD}`,
    type: 'application/x-www-form-urlencoded',
    status: 415,
  },
  { name: 'plain text body', body: 'hello', type: 'text/plain', status: 415 },
  { name: 'XML body', body: '<user/>', type: 'application/xml', status: 415 },
  { name: 'a body over 100 kB', body: { email, password: huge }, status: 413 },
  { name: 'email missing', body: { password: PASSWORD }, status: 400 },
  { name: 'password missing', body: { email }, status: 400 },
  { name: 'email null', body: { email: null, password: PASSWORD }, status: 400 },
  { name: 'password null', body: { email, password: null }, status: 400 },
  { name: 'email a number', body: { email: 12345, password: PASSWORD }, status: 400 },
  { name: 'email an array', body: { email: [email], password: PASSWORD }, status: 400 },
  { name: 'email an object', body: { email: { $ne: '' }, password: PASSWORD }, status: 400 },
  { name: 'email a boolean', body: { email: true, password: PASSWORD }, status: 400 },
  { name: 'password a number', body: { email, password: 12345678 }, status: 400 },
  { name: 'password an array', body: { email, password: [PASSWORD] }, status: 400 },
  { name: 'password an object', body: { email, password: { length: 10 } }, status: 400 },
  { name: 'email without a domain', body: { email: 'someone@', password: PASSWORD }, status: 400 },
  {
    name: 'email with spaces inside',
    body: { email: 'some one@example.com', password: PASSWORD },
    status: 400,
  },
  {
    name: 'email with a NUL byte',
    body: { email: 'some\u0000one@example.com', password: PASSWORD },
    status: 400,
  },
  {
    name: 'email far too long',
    body: { email: `${'a'.repeat(300)}@example.com`, password: PASSWORD },
    status: 400,
  },
  { name: 'password too short', body: { email, password: 'short' }, status: 400 },
  { name: 'password too long', body: { email, password: 'p'.repeat(200) }, status: 400 },
  { name: 'an empty password', body: { email, password: '' }, status: 400 },
  { name: 'an unknown field', body: { email, password: PASSWORD, role: 'admin' }, status: 400 },
  {
    name: 'a __proto__ key',
    body: '{"email":"a@b.co","password":"12345678","__proto__":{"admin":true}}',
    type: 'application/json',
    status: 400,
  },
  {
    name: 'an id field',
    body: { id: '00000000-0000-4000-8000-000000000000', email, password: PASSWORD },
    status: 400,
  },
  { name: 'an unknown route', path: '/api/users/nope', body: {}, status: 404 },
  { name: 'GET on signup', method: 'get', path: '/api/users/signup', status: 404 },
  { name: 'PUT on currentuser', method: 'put', path: '/api/users/currentuser', body: {}, status: 404 },
  { name: 'DELETE on signin', method: 'delete', path: '/api/users/signin', status: 404 },
  {
    name: 'malformed JSON on signout',
    path: '/api/users/signout',
    body: '{oops',
    type: 'application/json',
    status: 400,
  },
  { name: 'an unsupported charset', body: '{}', type: 'application/json; charset=koi8-r', status: 415 },
];

const routes = ['/api/users/signup', '/api/users/signin'];

describe('bad inputs to auth', () => {
  const cases = badInputs.flatMap((input) =>
    input.path ? [{ ...input, path: input.path }] : routes.map((path) => ({ ...input, path })),
  );

  it('has at least 30 distinct bad inputs', () => {
    expect(badInputs.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [`${c.name} → ${c.status} on ${c.path}`, c] as const))('%s', async (_, input) => {
    const res = await sendRequest(request(app), { ...input, method: input.method ?? 'post' });

    expectErrorResponse(res, input.status);
  });

  it('still signs up a good request after all of them', async () => {
    const res = await request(app)
      .post('/api/users/signup')
      .send({ email: uniqueEmail(), password: PASSWORD });

    expect(res.status).toBe(201);
  });
});
