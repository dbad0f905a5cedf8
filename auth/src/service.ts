import path from 'node:path';
import type { ServiceDefinition } from '@ticketing/common';
import { buildApp } from './app';
import { configSpec } from './config';
import { authDependencies, type AuthDeps } from './dependencies';

/**
 * The auth service as `runService` (main) and `startService` (tests) start it. It publishes and
 * consumes no events; runService still gives it health, metrics and graceful shutdown.
 */
export const authService: ServiceDefinition<typeof configSpec, AuthDeps> = {
  name: 'auth',
  configSpec,
  migrationsFolder: path.join(__dirname, 'db/migrations'),
  dependencies: authDependencies,
  buildApp,
};
