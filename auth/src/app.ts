import { createApp, type AppDeps } from '@ticketing/common';
import type { Config } from './config';
import type { AuthDeps } from './dependencies';
import { authRouter } from './routes';

/** Builds auth's Express app (no listening): the user routes on common's standard app. */
export function buildApp({ config, db, logger, deps, metrics, health }: AppDeps<Config, AuthDeps>) {
  const router = authRouter({ config, db, logger, deps });
  return createApp({ logger, jwtKey: config.JWT_KEY, metrics, health, routes: (app) => app.use(router) });
}
