import path from 'node:path';
import type { ServiceDefinition } from '@ticketing/common';
import { buildApp } from './app';
import { configSpec } from './config';
import { orderCancelledConsumer } from './events/order-cancelled-consumer';
import { orderCompletedConsumer } from './events/order-completed-consumer';
import { orderCreatedConsumer } from './events/order-created-consumer';

/** The payments service as `runService` (main) and `startService` (tests) start it. */
export const paymentsService: ServiceDefinition<typeof configSpec> = {
  name: 'payments',
  configSpec,
  migrationsFolder: path.join(__dirname, 'db/migrations'),
  buildApp: (deps) => buildApp(deps),
  consumers: [orderCreatedConsumer, orderCancelledConsumer, orderCompletedConsumer],
};
