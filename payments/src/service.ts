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
import { startRefundWorker } from './refund-worker';

/**
 * The payments service as `runService` (main) and `startService` (tests) start it. The routes
 * (charges), the refund worker (refunds owed for cancelled orders, every REFUND_INTERVAL_MS) and
 * the reconciler (abandoned attempts, every RECONCILE_INTERVAL_MS) share the one provider the
 * dependencies hook makes per start: `options.provider` (tests pass one to count its charges and
 * refunds), else the config's. The consumers never call it.
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
    consumers: [orderCreatedConsumer, orderCancelledConsumer, orderCompletedConsumer],
    // Events about different orders in parallel; one order's events still one at a time, in order.
    consumerConcurrency: 4,
    background: async ({ config, db, logger, deps, metrics }) => {
      const jobs = [
        startRefundWorker({
          db,
          provider: deps.provider,
          logger: logger.child({ component: 'refund-worker' }),
          intervalMs: config.REFUND_INTERVAL_MS,
          policy: {
            baseDelayMs: config.REFUND_RETRY_BASE_MS,
            maxDelayMs: config.REFUND_RETRY_MAX_MS,
            leaseMs: config.REFUND_CLAIM_LEASE_MS,
          },
          warnAfterMs: config.REFUND_PENDING_WARN_SECONDS * 1000,
          registry: metrics?.registry,
        }),
        startReconciler({
          db,
          provider: deps.provider,
          logger: logger.child({ component: 'reconciler' }),
          intervalMs: config.RECONCILE_INTERVAL_MS,
        }),
      ];
      return { stop: async () => void (await Promise.all(jobs.map((job) => job.stop()))) };
    },
  };
}

export const paymentsService = createPaymentsService();
