import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { serialize, type SerializeOptions } from 'cookie';
import type { UserPayload } from './types';

/** Name of the session cookie (contract: `session`). */
export const SESSION_COOKIE = 'session';

// Given the secret as a string, jsonwebtoken first tries it as a PEM public key (which throws)
// before it makes a secret key of it, on every call: about a tenth of auth's CPU per signed-in
// request. The key object is made once per secret instead (a process has one or two).
const secretKeys = new Map<string, KeyObject>();
function secretKeyOf(jwtKey: string): KeyObject {
  let key = secretKeys.get(jwtKey);
  if (!key) {
    if (secretKeys.size >= 8) secretKeys.clear();
    key = createSecretKey(Buffer.from(jwtKey, 'utf8'));
    secretKeys.set(jwtKey, key);
  }
  return key;
}

/** Options of `signSession`. */
export interface SignSessionOptions {
  /** HS256 secret. */
  jwtKey: string;
  /** Lifetime of the token; 24 h by default. */
  expiresInSeconds?: number;
}

/** Signs an HS256 JWT carrying `{ id, email }` and an `exp`. */
export function signSession(
  user: { id: string; email: string },
  { jwtKey, expiresInSeconds = 86_400 }: SignSessionOptions,
): string {
  return jwt.sign({ id: user.id, email: user.email }, secretKeyOf(jwtKey), {
    algorithm: 'HS256',
    expiresIn: expiresInSeconds,
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Verifies an HS256 JWT; returns its user payload, or null for anything invalid (never throws). */
export function verifySession(token: string, jwtKey: string): UserPayload | null {
  try {
    // Pinning the algorithm rejects `alg: none` and algorithm-confusion tokens.
    const payload = jwt.verify(token, secretKeyOf(jwtKey), { algorithms: ['HS256'] });
    if (typeof payload !== 'object' || payload === null) return null;
    const { id, email, iat, exp } = payload as Record<string, unknown>;
    // Ids are UUIDs everywhere (they key uuid columns); a token with anything else is not ours.
    if (typeof id !== 'string' || !UUID.test(id) || typeof email !== 'string') return null;
    if (typeof iat !== 'number' || typeof exp !== 'number') return null;
    return { id, email, iat, exp };
  } catch {
    return null;
  }
}

/** Encodes the cookie value: base64 of `{"jwt": "<token>"}`. */
export function encodeSessionCookie(token: string): string {
  return Buffer.from(JSON.stringify({ jwt: token }), 'utf8').toString('base64');
}

/** Decodes a cookie value back to the JWT, or null when it is not a session value. */
export function decodeSessionCookie(value: string): string | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const token = (parsed as Record<string, unknown>).jwt;
    return typeof token === 'string' && token.length > 0 ? token : null;
  } catch {
    return null;
  }
}

function cookieOptions(req: Request): SerializeOptions {
  // `req.secure` honours X-Forwarded-Proto because the app sets `trust proxy`.
  return { httpOnly: true, sameSite: 'lax', path: '/', secure: req.secure };
}

function expiryOf(token: string): number | null {
  const payload = jwt.decode(token);
  return payload && typeof payload === 'object' && typeof payload.exp === 'number' ? payload.exp : null;
}

/** Sets the `session` cookie for a signed JWT; Max-Age follows the token's `exp`. */
export function setSessionCookie(req: Request, res: Response, token: string): void {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const exp = expiryOf(token) ?? nowSeconds + 86_400;
  const header = serialize(SESSION_COOKIE, encodeSessionCookie(token), {
    ...cookieOptions(req),
    maxAge: Math.max(0, exp - nowSeconds),
    expires: new Date(exp * 1000),
    // base64 characters are valid cookie octets: write them raw so the value is exactly base64.
    encode: (value) => value,
  });
  res.append('Set-Cookie', header);
}

/** Clears the `session` cookie (sign-out). */
export function clearSessionCookie(req: Request, res: Response): void {
  const header = serialize(SESSION_COOKIE, '', { ...cookieOptions(req), maxAge: 0, expires: new Date(0) });
  res.append('Set-Cookie', header);
}
