import type { RequestHandler } from 'express';
import { parse } from 'cookie';
import { SESSION_COOKIE, decodeSessionCookie, verifySession } from './session';
import type { UserPayload } from './types';
import './types';

/** How many verified sessions a process remembers (about half a kilobyte each). */
const MAX_VERIFIED_SESSIONS = 10_000;

/** Sets `req.currentUser` from a valid session cookie; anything invalid just means signed out. */
export function currentUser(jwtKey: string): RequestHandler {
  // A signed-in browser sends the same cookie with every request, to every service: its token is
  // decoded and its signature checked once, and from then on only its expiry. Only valid sessions
  // are kept (a forged cookie cannot fill this), the oldest first out when it is full.
  const verified = new Map<string, UserPayload>();
  const userOf = (cookieValue: string): UserPayload | undefined => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const known = verified.get(cookieValue);
    if (known) {
      // The check jsonwebtoken makes: expired from the second `exp` names.
      if (nowSeconds < known.exp) return { ...known };
      verified.delete(cookieValue);
      return undefined;
    }
    const token = decodeSessionCookie(cookieValue);
    const user = token ? verifySession(token, jwtKey) : null;
    if (!user) return undefined;
    if (verified.size >= MAX_VERIFIED_SESSIONS) verified.delete(verified.keys().next().value!);
    verified.set(cookieValue, user);
    return { ...user };
  };

  return (req, _res, next) => {
    req.currentUser = undefined;
    const header = req.headers.cookie;
    if (!header) return next();
    try {
      const value = parse(header)[SESSION_COOKIE];
      req.currentUser = value ? userOf(value) : undefined;
    } catch {
      // A malformed Cookie header is the client's problem, not an error: treat as signed out.
    }
    next();
  };
}
