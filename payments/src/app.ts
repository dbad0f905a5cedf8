import { createApp, type AppDeps } from '@ticketing/common';
import type { Config } from './config';
import type { PaymentsDeps } from './dependencies';
import { paymentsRouter } from './routes';

/** The payments HTTP app (no listen), charging through the provider of its dependencies. */
export function buildApp({ config, db, logger, deps, metrics, health }: AppDeps<Config, PaymentsDeps>) {
  return createApp({
    logger,
    jwtKey: config.JWT_KEY,
    metrics,
    health,
    routes: (app) => {
      app.use(paymentsRouter({ config, db, logger, deps }));
    },
  });
}
