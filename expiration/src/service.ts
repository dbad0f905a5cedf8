import path from 'node:path';
import type { ServiceDefinition } from '@ticketing/common';
import { buildApp } from './app';
import { configSpec } from './config';
import { orderCreatedConsumer } from './events/order-created-consumer';

/** The expiration service as `runService` (main) and `startService` (tests) start it. */
export const expirationService: ServiceDefinition<typeof configSpec> = {
  name: 'expiration',
  configSpec,
  migrationsFolder: path.join(__dirname, 'db/migrations'),
  buildApp,
  consumers: [orderCreatedConsumer], // Events about different records in parallel; one record's events still one at a time, in order.
  consumerConcurrency: 4,
};
