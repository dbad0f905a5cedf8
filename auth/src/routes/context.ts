import type { Database } from '@ticketing/common';
import type { PasswordHasher } from '../domain/password-hasher';
import type { ThrottleSettings } from '../domain/signin-throttle';

/** What auth's routes need, built once by `buildApp`. */
export interface AuthContext {
  db: Database;
  hasher: PasswordHasher;
  throttle: ThrottleSettings;
  session: { jwtKey: string; expiresInSeconds: number };
}
