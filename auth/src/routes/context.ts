import type { Database } from '@ticketing/common';
import type { PasswordHasher } from '../domain/password-hasher';
import type { AddressCeiling } from '../domain/address-throttle';
import type { ThrottleSettings } from '../domain/signin-throttle';

/** What auth's routes need, built once by `buildApp`. */
export interface AuthContext {
  db: Database;
  hasher: PasswordHasher;
  throttle: ThrottleSettings;
  /** Sign-ups one client address may make within a window. */
  signupCeiling: AddressCeiling;
  /** Failed sign-ins one client address may make, across emails, within a window. */
  signinFailureCeiling: AddressCeiling;
  session: { jwtKey: string; expiresInSeconds: number };
}
