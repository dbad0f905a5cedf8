/** auth's composition root: config, database, NATS, migrations, the app, and graceful shutdown, all via `runService`. */
import path from 'node:path';
import { runService } from '@ticketing/common';
import { buildApp } from './app';
import { configSpec } from './config';

// auth publishes and consumes no events; runService still gives it the outbox relay, health and shutdown.
runService({
  name: 'auth',
  configSpec,
  migrationsFolder: path.join(__dirname, 'db/migrations'),
  buildApp,
});
