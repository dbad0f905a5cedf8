import crypto from 'node:crypto';
import { encodeSessionCookie, loadConfig, silentLogger } from '@ticketing/common';
import type { TestDatabase } from '@ticketing/common/testing';
import request, { type Response } from 'supertest';
import { buildApp } from '../app';
import { configSpec, type Config } from '../config';
import { authDependencies } from '../dependencies';

export const JWT_KEY = 'auth-test-jwt-key-of-at-least-32-bytes';
export const PASSWORD = 'correct horse battery';

/** auth's config as loaded from an environment, with a tiny scrypt cost so tests stay fast. */
export function testConfig(db: TestDatabase, env: Record<string, string> = {}): Config {
  return loadConfig(configSpec, {
    DATABASE_URL: db.url,
    NATS_URL: 'nats://127.0.0.1:4222',
    JWT_KEY,
    SCRYPT_N: '1024',
    // Every test signs in from one address; the per-address ceiling has its own tests, which lower it.
    SIGNIN_MAX_FAILURES_PER_ADDRESS: '100000',
    ...env,
  });
}

/** auth's app on a test database (`env` overrides variables, e.g. `SIGNIN_MAX_FAILURES`). */
export function testApp(db: TestDatabase, env: Record<string, string> = {}) {
  const config = testConfig(db, env);
  return buildApp({ config, db: db.db, logger: silentLogger(), deps: authDependencies({ config }) });
}

/** A unique email for one test. */
export function uniqueEmail(): string {
  return `user-${Math.random().toString(36).slice(2, 10)}@example.com`;
}

/** The `session=...` pair of a response's Set-Cookie, ready to send back as a Cookie header. */
export function sessionCookieOf(res: Response): string {
  const header = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith('session='));
  if (!header) throw new Error('no session cookie in the response');
  return header.split(';')[0];
}

/** The JWT inside a response's session cookie (the cookie is base64 of `{"jwt": "<token>"}`). */
export function sessionToken(res: Response): string {
  const value = sessionCookieOf(res).slice('session='.length);
  return (JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { jwt: string }).jwt;
}

/** A JWT's header and payload, unverified. */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
  return { header, payload };
}

/** A JWT built by hand (to forge other algorithms or expired tokens): HS256-signed with `key`, or unsigned for `alg: none`. */
export function handmadeJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: string,
): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode(header)}.${encode(payload)}`;
  if (header.alg === 'none') return `${unsigned}.`;
  return `${unsigned}.${crypto.createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

/** A Cookie header carrying `token` the way auth sets it. */
export function cookieWithToken(token: string): string {
  return `session=${encodeSessionCookie(token)}`;
}

/** The Set-Cookie header of the session cookie (with its attributes). */
export function sessionSetCookie(res: Response): string | undefined {
  return ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('session='));
}

/** Signs a user up through the API. */
export function signUp(app: ReturnType<typeof testApp>, email: string, password = PASSWORD) {
  return request(app).post('/api/users/signup').send({ email, password });
}

/** Signs in through the API. */
export function signIn(app: ReturnType<typeof testApp>, email: string, password = PASSWORD) {
  return request(app).post('/api/users/signin').send({ email, password });
}
