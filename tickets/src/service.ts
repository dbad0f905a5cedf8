import path from 'node:path';
import type { ServiceDefinition } from '@ticketing/common';
import { buildApp } from './app';
import { configSpec } from './config';
import { orderCancelledConsumer } from './events/order-cancelled-consumer';
import { orderCompletedConsumer } from './events/order-completed-consumer';
import { orderCreatedConsumer } from './events/order-created-consumer';

/** The tickets service as `runService` (main) and `startService` (tests) start it. */
export const ticketsService: ServiceDefinition<typeof configSpec> = {
  name: 'tickets',
  configSpec,
  migrationsFolder: path.join(__dirname, 'db/migrations'),
  buildApp,
  consumers: [orderCreatedConsumer, orderCancelledConsumer, orderCompletedConsumer],
  // Events about different orders in parallel; one order's events still one at a time, in order
  // (the handlers lock the ticket row, so two orders of one ticket take turns too).
  consumerConcurrency: 4,
};
