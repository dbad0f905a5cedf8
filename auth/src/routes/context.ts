import type { RouteContext } from '@ticketing/common';
import type { Config } from '../config';
import type { AuthDeps } from '../dependencies';
import type { AddressCeiling } from '../domain/address-throttle';
import type { ThrottleSettings } from '../domain/signin-throttle';

/** What auth's routes get: common's route context, with the hasher of auth's dependencies hook. */
export type AuthContext = RouteContext<Config, AuthDeps>;

/** How sessions are signed, from the config. */
export function sessionSettings(config: Config): { jwtKey: string; expiresInSeconds: number } {
  return { jwtKey: config.JWT_KEY, expiresInSeconds: config.JWT_EXPIRES_IN_SECONDS };
}

/** How failed sign-ins are throttled per email, from the config. */
export function throttleSettings(config: Config): ThrottleSettings {
  return { maxFailures: config.SIGNIN_MAX_FAILURES, windowSeconds: config.SIGNIN_WINDOW_SECONDS };
}

/** Sign-ups one client address may make within a window. */
export function signupCeiling(config: Config): AddressCeiling {
  return { max: config.SIGNUP_MAX_PER_ADDRESS, windowSeconds: config.SIGNUP_ADDRESS_WINDOW_SECONDS };
}

/** Failed sign-ins one client address may make, across emails, within a window. */
export function signinFailureCeiling(config: Config): AddressCeiling {
  return { max: config.SIGNIN_MAX_FAILURES_PER_ADDRESS, windowSeconds: config.SIGNIN_WINDOW_SECONDS };
}
