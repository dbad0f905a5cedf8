import { sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { verifySession } from '@ticketing/common';
import {
  JWT_KEY,
  PASSWORD,
  decodeJwt,
  sessionSetCookie,
  sessionToken,
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

async function storedUser(email: string) {
  const { rows } = await db.pool.query('select id, email, password_hash from users where email = $1', [
    email,
  ]);
  return rows[0] as { id: string; email: string; password_hash: string } | undefined;
}

describe('POST /api/users/signup', () => {
  it('returns 201 with the id and email', async () => {
    const email = uniqueEmail();

    const res = await signUp(app, email);

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), email });
    expect(await storedUser(email)).toMatchObject({ id: res.body.id, email });
  });

  it('sets an HttpOnly, SameSite=Lax session cookie holding an HS256 JWT of { id, email } with an exp', async () => {
    const email = uniqueEmail();

    const res = await signUp(app, email);

    const header = sessionSetCookie(res)!;
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Lax/);
    expect(header).not.toMatch(/Secure/);
    const token = sessionToken(res);
    expect(decodeJwt(token).header).toEqual({ alg: 'HS256', typ: 'JWT' });
    const payload = verifySession(token, JWT_KEY)!;
    expect(payload).toMatchObject({ id: res.body.id, email });
    expect(payload.exp - payload.iat).toBe(86_400);
  });

  it('marks the cookie Secure when the request came over HTTPS through the proxy', async () => {
    const res = await request(app)
      .post('/api/users/signup')
      .set('X-Forwarded-Proto', 'https')
      .send({ email: uniqueEmail(), password: PASSWORD });

    expect(res.status).toBe(201);
    expect(sessionSetCookie(res)).toMatch(/; Secure/);
  });

  it('returns 503 with Retry-After when no hashing turn comes within HASH_QUEUE_TIMEOUT_MS', async () => {
    const busy = testApp(db, { SCRYPT_N: '65536', HASH_CONCURRENCY: '1', HASH_QUEUE_TIMEOUT_MS: '1' });

    const responses = await Promise.all([1, 2, 3].map(() => signUp(busy, uniqueEmail())));

    const refused = responses.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(responses.filter((r) => r.status !== 503).map((r) => r.status)).toEqual(
      Array(3 - refused.length).fill(201),
    );
    expect(refused[0].headers['retry-after']).toBe('1');
    expect(refused[0].body).toEqual({
      errors: [{ message: 'Too many sign-ins at once, try again shortly' }],
    });
  });

  it('gives the JWT the configured lifetime', async () => {
    const shortLived = testApp(db, { JWT_EXPIRES_IN_SECONDS: '60' });

    const res = await signUp(shortLived, uniqueEmail());

    const { payload } = decodeJwt(sessionToken(res));
    expect(Number(payload.exp) - Number(payload.iat)).toBe(60);
  });

  it('stores the email trimmed and lower-cased', async () => {
    const email = uniqueEmail();

    const res = await signUp(app, `  ${email.toUpperCase()}  `);

    expect(res.status).toBe(201);
    expect(res.body.email).toBe(email);
    expect(await storedUser(email)).toBeDefined();
  });

  it('stores an scrypt hash that records its parameters, never the password', async () => {
    const email = uniqueEmail();

    await signUp(app, email);

    const { password_hash: hash } = (await storedUser(email))!;
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(hash).not.toContain(PASSWORD);
  });

  it('gives two users with one password different hashes (random salt)', async () => {
    const [a, b] = [uniqueEmail(), uniqueEmail()];

    await signUp(app, a);
    await signUp(app, b);

    expect((await storedUser(a))!.password_hash).not.toBe((await storedUser(b))!.password_hash);
  });

  it('returns 400 when the email is not an email', async () => {
    const res = await signUp(app, 'not-an-email');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Email must be valid', field: 'email' }] });
  });

  it('returns 400 when the password is shorter than 8 characters', async () => {
    const res = await signUp(app, uniqueEmail(), '1234567');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [{ message: 'Password must be between 8 and 128 characters', field: 'password' }],
    });
  });

  it('returns 400 when the password is longer than 128 characters', async () => {
    const res = await signUp(app, uniqueEmail(), 'x'.repeat(129));

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { message: 'Password must be between 8 and 128 characters', field: 'password' },
    ]);
  });

  it('accepts passwords of exactly 8 and 128 characters', async () => {
    const short = await signUp(app, uniqueEmail(), '12345678');
    const long = await signUp(app, uniqueEmail(), 'y'.repeat(128));

    expect([short.status, long.status]).toEqual([201, 201]);
  });

  it('returns one error per bad field when both are missing', async () => {
    const res = await request(app).post('/api/users/signup').send({});

    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['email', 'password']);
  });

  it('returns 400 Email in use for an email already taken, whatever its case', async () => {
    const email = uniqueEmail();
    await signUp(app, email);

    const res = await signUp(app, email.toUpperCase());

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Email in use', field: 'email' }] });
  });

  it('gives exactly one 201 and otherwise 400 Email in use to concurrent sign-ups with one email', async () => {
    const email = uniqueEmail();

    const results = await Promise.all(Array.from({ length: 5 }, () => signUp(app, email)));

    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400, 400]);
    for (const r of results.filter((r) => r.status === 400))
      expect(r.body.errors[0].message).toBe('Email in use');
    const { rows } = await db.db.execute(sql`select count(*)::int as n from users where email = ${email}`);
    expect(rows[0].n).toBe(1);
  });

  it('returns 400 for an unknown field', async () => {
    const res = await request(app)
      .post('/api/users/signup')
      .send({ email: uniqueEmail(), password: PASSWORD, admin: true });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Unknown field', field: 'admin' }] });
  });

  it('lets 300 sign-ups from one address within a minute all succeed', async () => {
    const started = Date.now();
    const statuses: number[] = [];
    // In batches of 10: as fast as a test suite signing up its users.
    for (let batch = 0; batch < 30; batch++) {
      const results = await Promise.all(Array.from({ length: 10 }, () => signUp(app, uniqueEmail())));
      statuses.push(...results.map((r) => r.status));
    }

    expect(statuses).toEqual(Array(300).fill(201));
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('returns 429 with Retry-After past SIGNUP_MAX_PER_ADDRESS sign-ups from one address', async () => {
    const ceilinged = testApp(db, { SIGNUP_MAX_PER_ADDRESS: '3' });
    // A fresh address (X-Forwarded-For, as the gateway sets it), so earlier tests' sign-ups do not count.
    const address = '203.0.113.7';
    const from = (email: string) =>
      request(ceilinged)
        .post('/api/users/signup')
        .set('X-Forwarded-For', address)
        .send({ email, password: PASSWORD });
    for (let i = 0; i < 3; i++) expect((await from(uniqueEmail())).status).toBe(201);

    const res = await from(uniqueEmail());

    expect(res.status).toBe(429);
    expect(res.body).toEqual({ errors: [{ message: expect.any(String) }] });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(3500);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(3600);
  });
});
