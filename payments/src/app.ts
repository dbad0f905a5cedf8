import { createApp, type AppDeps } from '@ticketing/common';
import type { Config } from './config';
import { createPaymentProvider, type PaymentProvider } from './providers';
import { paymentsRouter } from './routes';

/**
 * The payments HTTP app (no listen). The provider follows the config (Stripe when
 * STRIPE_SECRET_KEY is set, else the sandbox); tests pass their own to count its charges.
 */
export function buildApp(
  { config, db, logger, metrics, health }: AppDeps<Config>,
  provider: PaymentProvider = createPaymentProvider(config),
) {
  return createApp({
    logger,
    jwtKey: config.JWT_KEY,
    metrics,
    health,
    routes: (app) => {
      app.use(
        paymentsRouter(db, provider, {
          maxPerOrder: config.PAYMENT_MAX_DECLINES_PER_ORDER,
          maxPerUser: config.PAYMENT_MAX_DECLINES_PER_USER,
          windowSeconds: config.PAYMENT_DECLINE_WINDOW_SECONDS,
        }),
      );
    },
  });
}
