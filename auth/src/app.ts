import { createApp, type AppDeps } from '@ticketing/common';
import type { Config } from './config';
import { createPasswordHasher } from './domain/password-hasher';
import { authRouter } from './routes';

/** Builds auth's Express app (no listening): the user routes on common's standard app. */
export function buildApp({ config, db, logger, metrics, health }: AppDeps<Config>) {
  const router = authRouter({
    db,
    hasher: createPasswordHasher({ N: config.SCRYPT_N, r: config.SCRYPT_R, p: config.SCRYPT_P }),
    throttle: { maxFailures: config.SIGNIN_MAX_FAILURES, windowSeconds: config.SIGNIN_WINDOW_SECONDS },
    signupCeiling: {
      max: config.SIGNUP_MAX_PER_ADDRESS,
      windowSeconds: config.SIGNUP_ADDRESS_WINDOW_SECONDS,
    },
    signinFailureCeiling: {
      max: config.SIGNIN_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: config.SIGNIN_WINDOW_SECONDS,
    },
    session: { jwtKey: config.JWT_KEY, expiresInSeconds: config.JWT_EXPIRES_IN_SECONDS },
  });
  return createApp({ logger, jwtKey: config.JWT_KEY, metrics, health, routes: (app) => app.use(router) });
}
