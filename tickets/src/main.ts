/** tickets' composition root: config, database, NATS, migrations, relay, consumers, app and graceful shutdown, via `runService`. */
import path from 'node:path';
import { runService } from '@ticketing/common';
import { buildApp } from './app';
import { configSpec } from './config';
import { orderCancelledConsumer } from './events/order-cancelled-consumer';
import { orderCompletedConsumer } from './events/order-completed-consumer';
import { orderCreatedConsumer } from './events/order-created-consumer';

runService({
  name: 'tickets',
  configSpec,
  migrationsFolder: path.join(__dirname, 'db/migrations'),
  buildApp,
  consumers: [orderCreatedConsumer, orderCancelledConsumer, orderCompletedConsumer],
});
