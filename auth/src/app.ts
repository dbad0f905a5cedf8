import { createApp, type AppDeps } from '@ticketing/common';
import type { Config } from './config';
import { createPasswordHasher } from './domain/password-hasher';
import { authRouter } from './routes';

/** Builds auth's Express app (no listening): the user routes on common's standard app. */
export function buildApp({ config, db, logger, metrics, health }: AppDeps<Config>) {
  const router = authRouter({
    db,
    hasher: createPasswordHasher(
      { N: config.SCRYPT_N, r: config.SCRYPT_R, p: config.SCRYPT_P },
      { concurrency: config.HASH_CONCURRENCY, queueTimeoutMs: config.HASH_QUEUE_TIMEOUT_MS },
    ),
    throttle: { maxFailures: config.SIGNIN_MAX_FAILURES, windowSeconds: config.SIGNIN_WINDOW_SECONDS },
    session: { jwtKey: config.JWT_KEY, expiresInSeconds: config.JWT_EXPIRES_IN_SECONDS },
  });
  return createApp({ logger, jwtKey: config.JWT_KEY, metrics, health, routes: (app) => app.use(router) });
}
