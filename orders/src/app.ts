import { createApp, type AppDeps } from '@ticketing/common';
import type { Config } from './config';
import { ordersRouter } from './routes';

/** Builds orders' Express app (no listening): the order routes on common's standard app. */
export function buildApp({ config, db, logger, metrics, health }: AppDeps<Config>) {
  const router = ordersRouter({
    db,
    expirationWindowSeconds: config.EXPIRATION_WINDOW_SECONDS,
    maxLiveOrdersPerUser: config.MAX_LIVE_ORDERS_PER_USER,
  });
  return createApp({ logger, jwtKey: config.JWT_KEY, metrics, health, routes: (app) => app.use(router) });
}
