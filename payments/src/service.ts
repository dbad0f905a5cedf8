import path from 'node:path';
import type { ServiceDefinition } from '@ticketing/common';
import { buildApp } from './app';
import { configSpec, type Config } from './config';
import { orderCancelledConsumer } from './events/order-cancelled-consumer';
import { orderCompletedConsumer } from './events/order-completed-consumer';
import { orderCreatedConsumer } from './events/order-created-consumer';
import { choosePaymentProvider, createPaymentProvider, type PaymentProvider } from './providers';
import { startReconciler } from './reconciler';

/**
 * The payments service as `runService` (main) and `startService` (tests) start it. The routes
 * (charges), the order.cancelled consumer (refunds) and the reconciler (abandoned attempts, every
 * RECONCILE_INTERVAL_MS) share one provider: `options.provider`
 * (tests pass one to count its charges and refunds), else the one the config selects, made once
 * per start.
 */
export function createPaymentsService(
  options: { provider?: PaymentProvider } = {},
): ServiceDefinition<typeof configSpec> {
  // buildApp and consumers get the same config object from one start.
  const providers = new WeakMap<Config, PaymentProvider>();
  const providerFor = (config: Config): PaymentProvider => {
    if (options.provider) return options.provider;
    let provider = providers.get(config);
    if (!provider) {
      provider = createPaymentProvider(config);
      providers.set(config, provider);
    }
    return provider;
  };
  return {
    name: 'payments',
    configSpec,
    checkConfig: (config) => void choosePaymentProvider(config),
    migrationsFolder: path.join(__dirname, 'db/migrations'),
    buildApp: (deps) => buildApp(deps, providerFor(deps.config)),
    consumers: ({ config }) => [
      orderCreatedConsumer,
      orderCancelledConsumer(providerFor(config)),
      orderCompletedConsumer,
    ],
    background: async ({ config, db, logger }) =>
      startReconciler({
        db,
        provider: providerFor(config),
        logger: logger.child({ component: 'reconciler' }),
        intervalMs: config.RECONCILE_INTERVAL_MS,
      }),
  };
}

export const paymentsService = createPaymentsService();
