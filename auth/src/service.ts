import path from 'node:path';
import type { ServiceDefinition } from '@ticketing/common';
import { buildApp } from './app';
import { configSpec } from './config';

/**
 * The auth service as `runService` (main) and `startService` (tests) start it. It publishes and
 * consumes no events; runService still gives it health, metrics and graceful shutdown.
 */
export const authService: ServiceDefinition<typeof configSpec> = {
  name: 'auth',
  configSpec,
  migrationsFolder: path.join(__dirname, 'db/migrations'),
  buildApp,
};
