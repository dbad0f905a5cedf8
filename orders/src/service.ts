import path from 'node:path';
import type { ServiceDefinition } from '@ticketing/common';
import { buildApp } from './app';
import { configSpec } from './config';
import { expirationCompleteConsumer } from './events/expiration-complete-consumer';
import { paymentCreatedConsumer } from './events/payment-created-consumer';
import { ticketCreatedConsumer } from './events/ticket-created-consumer';
import { ticketUpdatedConsumer } from './events/ticket-updated-consumer';

/** The orders service as `runService` (main) and `startService` (tests) start it. */
export const ordersService: ServiceDefinition<typeof configSpec> = {
  name: 'orders',
  configSpec,
  migrationsFolder: path.join(__dirname, 'db/migrations'),
  buildApp,
  consumers: [
    ticketCreatedConsumer,
    ticketUpdatedConsumer,
    expirationCompleteConsumer,
    paymentCreatedConsumer,
  ], // Events about different records in parallel; one record's events still one at a time, in order.
  consumerConcurrency: 4,
};
