import express from 'express';
import { currentUser } from './current-user';
import { errorHandler } from './error-handler';
import { healthRoutes, type HealthOptions } from './health';
import { jsonBody } from './json-body';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { notFoundHandler } from './not-found-handler';
import { requestContext } from './request-context';
import { securityHeaders } from './security-headers';
import { traceResponse } from './trace-response';

/** Options of `createApp`. */
export interface CreateAppOptions {
  logger: Logger;
  /** When set, `req.currentUser` is read from the session cookie. */
  jwtKey?: string;
  /** When set, requests are timed and `GET /metrics` is served. */
  metrics?: Metrics;
  /** When set, `GET /healthz` and `GET /readyz` are served. */
  health?: HealthOptions;
  /** Mounts this service's routes. */
  routes: (app: express.Express) => void;
  /** JSON body limit; the contract's 100 kB by default. */
  bodyLimit?: string;
}

/** Builds the standard Express app of every service (no listen): security headers, context, metrics, health, body, session, routes, 404, errors. */
export function createApp({
  logger,
  jwtKey,
  metrics,
  health,
  routes,
  bodyLimit,
}: CreateAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Every answer is `Cache-Control: no-store`, so nobody revalidates: an ETag (a SHA-1 of each
  // body) would cost a hash per response and never save a byte.
  app.set('etag', false);
  // Behind one proxy (the gateway locally, the ingress in Kubernetes): trust X-Forwarded-Proto so
  // `req.secure` drives the cookie's Secure flag, and take `req.ip` from the one X-Forwarded-For
  // entry that proxy appended. Trusting every hop would let a client pick its own address by
  // sending X-Forwarded-For, and walk around the per-address limits.
  app.set('trust proxy', 1);

  app.use(traceResponse);
  app.use(securityHeaders);
  app.use(requestContext(logger));
  if (metrics) app.use(metrics.middleware);
  // Probes and scrapes come before body parsing and sessions: they need neither.
  if (health) app.use(healthRoutes(health));
  if (metrics) app.get('/metrics', metrics.handler);

  app.use(jsonBody({ limit: bodyLimit }));
  if (jwtKey) app.use(currentUser(jwtKey));

  routes(app);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
