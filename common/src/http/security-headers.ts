import type { RequestHandler } from 'express';

/**
 * Headers on every API response, errors and 404s included. `nosniff`: a JSON body is never run as a
 * script or rendered as HTML. `no-store`: answers depend on the session cookie (the current user,
 * their orders, a Set-Cookie) and none is meant to be kept by a browser or a shared cache.
 */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  next();
};
