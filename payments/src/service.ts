import path from 'node:path';
import type { ServiceDefinition } from '@ticketing/common';
import { buildApp } from './app';
import { configSpec } from './config';
import { paymentsDependencies, type PaymentsDeps } from './dependencies';
import { orderCancelledConsumer } from './events/order-cancelled-consumer';
import { orderCompletedConsumer } from './events/order-completed-consumer';
import { orderCreatedConsumer } from './events/order-created-consumer';
import { choosePaymentProvider, type PaymentProvider } from './providers';
import { startReconciler } from './reconciler';

/**
 * The payments service as `runService` (main) and `startService` (tests) start it. The routes
 * (charges), the order.cancelled consumer (refunds) and the reconciler (abandoned attempts, every
 * RECONCILE_INTERVAL_MS) share the one provider the dependencies hook makes per start:
 * `options.provider` (tests pass one to count its charges and refunds), else the config's.
 */
export function createPaymentsService(
  options: { provider?: PaymentProvider } = {},
): ServiceDefinition<typeof configSpec, PaymentsDeps> {
  return {
    name: 'payments',
    configSpec,
    checkConfig: (config) => void choosePaymentProvider(config),
    migrationsFolder: path.join(__dirname, 'db/migrations'),
    dependencies: (base) => paymentsDependencies(base, options.provider),
    buildApp,
    consumers: ({ deps }) => [
      orderCreatedConsumer,
      orderCancelledConsumer(deps.provider),
      orderCompletedConsumer,
    ],
    background: async ({ config, db, logger, deps }) =>
      startReconciler({
        db,
        provider: deps.provider,
        logger: logger.child({ component: 'reconciler' }),
        intervalMs: config.RECONCILE_INTERVAL_MS,
      }),
  };
}

export const paymentsService = createPaymentsService();
