import { verifySession } from '@ticketing/common';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import {
  JWT_KEY,
  PASSWORD,
  sessionSetCookie,
  sessionToken,
  signIn,
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

async function failTimes(email: string, times: number, target = app): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await signIn(target, email, 'wrong password');
    expect(res.status).toBe(400);
  }
}

/** Moves the recorded failures of `email` back in time, as if `seconds` had passed. */
async function ageFailures(email: string, seconds: number): Promise<void> {
  await db.pool.query(
    `update signin_failures set failed_at = failed_at - make_interval(secs => $2) where email = $1`,
    [email, seconds],
  );
}

describe('POST /api/users/signin', () => {
  it('returns 200 with the id and email and sets the session cookie', async () => {
    const email = uniqueEmail();
    const { body: user } = await signUp(app, email);

    const res = await signIn(app, email);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: user.id, email });
    expect(sessionSetCookie(res)).toMatch(/HttpOnly; SameSite=Lax/);
    expect(verifySession(sessionToken(res), JWT_KEY)).toMatchObject({ id: user.id, email });
  });

  it('finds the user whatever the case and surrounding spaces of the email', async () => {
    const email = uniqueEmail();
    await signUp(app, email);

    const res = await signIn(app, `  ${email.toUpperCase()} `);

    expect(res.status).toBe(200);
    expect(res.body.email).toBe(email);
  });

  it('returns 400 Invalid credentials for a wrong password', async () => {
    const email = uniqueEmail();
    await signUp(app, email);

    const res = await signIn(app, email, 'not the password');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Invalid credentials' }] });
    expect(sessionSetCookie(res)).toBeUndefined();
  });

  it('returns the same 400 Invalid credentials for an unknown email', async () => {
    const res = await signIn(app, uniqueEmail());

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Invalid credentials' }] });
  });

  it('returns 400 when the password is missing', async () => {
    const res = await request(app).post('/api/users/signin').send({ email: uniqueEmail() });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'You must supply a password', field: 'password' }] });
  });

  it('returns 400 when the email is not an email', async () => {
    const res = await signIn(app, 'nobody');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Email must be valid', field: 'email' }] });
  });

  it('returns 429 with Retry-After after 10 failures for one email within 15 minutes', async () => {
    const email = uniqueEmail();
    await signUp(app, email);
    await failTimes(email, 10);

    const res = await signIn(app, email, 'wrong password');

    expect(res.status).toBe(429);
    expect(res.body).toEqual({ errors: [{ message: 'Too many failed sign-in attempts, try again later' }] });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(890);
    expect(retryAfter).toBeLessThanOrEqual(900);
  });

  it('refuses even the right password with 429 while the email is throttled', async () => {
    const email = uniqueEmail();
    await signUp(app, email);
    await failTimes(email, 10);

    const res = await signIn(app, email);

    expect(res.status).toBe(429);
    expect(sessionSetCookie(res)).toBeUndefined();
  });

  it('throttles unknown emails the same way, so 429 does not tell whether an account exists', async () => {
    const email = uniqueEmail();
    await failTimes(email, 10);

    const res = await signIn(app, email);

    expect(res.status).toBe(429);
  });

  it('still allows the 10th attempt after 9 failures', async () => {
    const email = uniqueEmail();
    await signUp(app, email);
    await failTimes(email, 9);

    const res = await signIn(app, email);

    expect(res.status).toBe(200);
  });

  it('lets the email sign in again once the window has passed', async () => {
    const email = uniqueEmail();
    await signUp(app, email);
    await failTimes(email, 10);
    expect((await signIn(app, email)).status).toBe(429);

    await ageFailures(email, 901);
    const res = await signIn(app, email);

    expect(res.status).toBe(200);
  });

  it('waits for the 10th most recent failure to leave the window, not the oldest', async () => {
    const email = uniqueEmail();
    await failTimes(email, 5);
    await ageFailures(email, 600);
    await failTimes(email, 5);

    const res = await signIn(app, email);

    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(300);
  });

  it('counts failures in the database, so they hold across replicas and restarts', async () => {
    const email = uniqueEmail();
    await signUp(app, email);
    await failTimes(email, 5, testApp(db));
    await failTimes(email, 5, testApp(db));

    const res = await signIn(testApp(db), email);

    expect(res.status).toBe(429);
  });

  it('lets no more than 10 concurrent wrong guesses through to the password check', async () => {
    const email = uniqueEmail();
    await signUp(app, email);

    const results = await Promise.all(Array.from({ length: 15 }, () => signIn(app, email, 'guess')));

    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(10).fill(400), ...Array(5).fill(429)]);
  });

  it('throttles per email: another email is unaffected', async () => {
    const throttled = uniqueEmail();
    const other = uniqueEmail();
    await signUp(app, other);
    await failTimes(throttled, 10);

    const res = await signIn(app, other);

    expect(res.status).toBe(200);
  });

  it('forgets earlier failures after a successful sign-in', async () => {
    const email = uniqueEmail();
    await signUp(app, email);
    await failTimes(email, 9);
    await signIn(app, email);
    await failTimes(email, 9);

    const res = await signIn(app, email);

    expect(res.status).toBe(200);
  });

  it('follows SIGNIN_MAX_FAILURES and SIGNIN_WINDOW_SECONDS', async () => {
    const strict = testApp(db, { SIGNIN_MAX_FAILURES: '2', SIGNIN_WINDOW_SECONDS: '60' });
    const email = uniqueEmail();
    await failTimes(email, 2, strict);

    const res = await signIn(strict, email);

    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('returns 503 with Retry-After when no hashing turn comes in time, without counting a failure', async () => {
    const busy = testApp(db, { SCRYPT_N: '65536', HASH_CONCURRENCY: '1', HASH_QUEUE_TIMEOUT_MS: '1' });
    const email = uniqueEmail();
    expect((await signUp(busy, email)).status).toBe(201);

    const responses = await Promise.all([1, 2, 3].map(() => signIn(busy, email, 'wrong password')));

    const statuses = responses.map((r) => r.status);
    const refused = responses.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 503)).toEqual(Array(3 - refused.length).fill(400));
    expect(refused[0].headers['retry-after']).toBe('1');
    expect(refused[0].body).toEqual({
      errors: [{ message: 'Too many sign-ins at once, try again shortly' }],
    });
    const { rows } = await db.pool.query('select count(*)::int as n from signin_failures where email = $1', [
      email,
    ]);
    expect(rows[0].n).toBe(3 - refused.length);
  });

  it('upgrades a hash made with older scrypt parameters at the next sign-in', async () => {
    const email = uniqueEmail();
    await signUp(app, email);
    const stronger = testApp(db, { SCRYPT_N: '2048', SCRYPT_R: '4', SCRYPT_P: '2' });

    const res = await signIn(stronger, email);

    expect(res.status).toBe(200);
    const { rows } = await db.pool.query('select password_hash from users where email = $1', [email]);
    expect(rows[0].password_hash).toMatch(/^scrypt\$2048\$4\$2\$/);
    expect((await signIn(stronger, email)).status).toBe(200);
    expect((await signIn(app, email)).status).toBe(200);
  });

  it('returns 429 with Retry-After once one address has SIGNIN_MAX_FAILURES_PER_ADDRESS failures across many emails', async () => {
    const ceilinged = testApp(db, { SIGNIN_MAX_FAILURES_PER_ADDRESS: '5', SIGNIN_WINDOW_SECONDS: '900' });
    const address = '198.51.100.23';
    // Each request also claims an address of its own: only the entry the proxy appended counts.
    const attempt = (email: string, password: string) =>
      request(ceilinged)
        .post('/api/users/signin')
        .set('X-Forwarded-For', `10.0.0.${Math.floor(Math.random() * 250)}, ${address}`)
        .send({ email, password });
    const victim = uniqueEmail();
    await signUp(app, victim);
    // Password spraying: one guess each at many emails, never reaching any email's own limit.
    for (let i = 0; i < 5; i++) expect((await attempt(uniqueEmail(), 'Summer2026!')).status).toBe(400);

    const res = await attempt(victim, PASSWORD);

    expect(res.status).toBe(429);
    expect(res.body).toEqual({ errors: [{ message: expect.any(String) }] });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(800);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(900);
    // Another address is not affected.
    const elsewhere = await request(ceilinged)
      .post('/api/users/signin')
      .set('X-Forwarded-For', '198.51.100.24')
      .send({ email: victim, password: PASSWORD });
    expect(elsewhere.status).toBe(200);
  });

  it('does not count successful sign-ins against the address', async () => {
    const ceilinged = testApp(db, { SIGNIN_MAX_FAILURES_PER_ADDRESS: '2' });
    const email = uniqueEmail();
    await signUp(app, email);
    const attempt = () =>
      request(ceilinged)
        .post('/api/users/signin')
        .set('X-Forwarded-For', '198.51.100.99')
        .send({ email, password: PASSWORD });

    for (let i = 0; i < 5; i++) expect((await attempt()).status).toBe(200);
  });
});
