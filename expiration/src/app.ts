import { createApp, type AppDeps } from '@ticketing/common';
import type { Config } from './config';

/** The HTTP side of expiration: only common's /healthz, /readyz and /metrics (it has no API of its own). */
export function buildApp({ logger, metrics, health }: AppDeps<Config>) {
  return createApp({ logger, metrics, health, routes: () => undefined });
}
