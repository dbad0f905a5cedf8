import type { RequestHandler } from 'express';
import { parse } from 'cookie';
import { SESSION_COOKIE, decodeSessionCookie, verifySession } from './session';
import './types';

/** Sets `req.currentUser` from a valid session cookie; anything invalid just means signed out. */
export function currentUser(jwtKey: string): RequestHandler {
  return (req, _res, next) => {
    req.currentUser = undefined;
    const header = req.headers.cookie;
    if (!header) return next();
    try {
      const value = parse(header)[SESSION_COOKIE];
      const token = value ? decodeSessionCookie(value) : null;
      req.currentUser = (token && verifySession(token, jwtKey)) || undefined;
    } catch {
      // A malformed Cookie header is the client's problem, not an error: treat as signed out.
    }
    next();
  };
}
