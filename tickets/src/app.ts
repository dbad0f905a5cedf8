import { createApp, type AppDeps } from '@ticketing/common';
import type { Config } from './config';
import { ticketsRouter } from './routes';

/** Builds tickets' Express app (no listening): the ticket routes on common's standard app. */
export function buildApp({ config, db, logger, deps, metrics, health }: AppDeps<Config>) {
  const router = ticketsRouter({ config, db, logger, deps });
  return createApp({ logger, jwtKey: config.JWT_KEY, metrics, health, routes: (app) => app.use(router) });
}
