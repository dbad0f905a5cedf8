import crypto from 'node:crypto';
import { createTestDatabase, sessionCookie, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import {
  JWT_KEY,
  cookieWithToken,
  handmadeJwt,
  sessionCookieOf,
  signUp,
  testApp,
  uniqueEmail,
} from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterAll(() => db.drop());

const now = () => Math.floor(Date.now() / 1000);

function currentUser(cookie?: string) {
  const req = request(app).get('/api/users/currentuser');
  return cookie ? req.set('Cookie', cookie) : req;
}

describe('GET /api/users/currentuser', () => {
  it('returns the signed-in user with iat and exp', async () => {
    const email = uniqueEmail();
    const signedUp = await signUp(app, email);

    const res = await currentUser(sessionCookieOf(signedUp));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      currentUser: { id: signedUp.body.id, email, iat: expect.any(Number), exp: expect.any(Number) },
    });
    expect(res.body.currentUser.exp - res.body.currentUser.iat).toBe(86_400);
  });

  it('returns null when there is no cookie', async () => {
    const res = await currentUser();

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('returns null for a token signed with another key', async () => {
    const res = await currentUser(sessionCookie('some-other-key'));

    expect(res.body).toEqual({ currentUser: null });
  });

  it('returns null for an expired token', async () => {
    const token = handmadeJwt(
      { alg: 'HS256', typ: 'JWT' },
      { id: crypto.randomUUID(), email: 'a@example.com', iat: now() - 100, exp: now() - 10 },
      JWT_KEY,
    );

    const res = await currentUser(cookieWithToken(token));

    expect(res.body).toEqual({ currentUser: null });
  });

  it('returns null for an unsigned alg:none token', async () => {
    const token = handmadeJwt(
      { alg: 'none', typ: 'JWT' },
      { id: crypto.randomUUID(), email: 'a@example.com', iat: now(), exp: now() + 60 },
      JWT_KEY,
    );

    const res = await currentUser(cookieWithToken(token));

    expect(res.body).toEqual({ currentUser: null });
  });

  it('returns null for a tampered payload', async () => {
    const valid = handmadeJwt(
      { alg: 'HS256', typ: 'JWT' },
      { id: crypto.randomUUID(), email: 'a@example.com', iat: now(), exp: now() + 60 },
      JWT_KEY,
    );
    const [header, , signature] = valid.split('.');
    const forged = Buffer.from(
      JSON.stringify({ id: crypto.randomUUID(), email: 'admin@example.com', iat: now(), exp: now() + 60 }),
    ).toString('base64url');

    const res = await currentUser(cookieWithToken(`${header}.${forged}.${signature}`));

    expect(res.body).toEqual({ currentUser: null });
  });

  it('returns null for a cookie that is not a session value', async () => {
    const res = await currentUser('session=%%%not-base64-json');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });
});
