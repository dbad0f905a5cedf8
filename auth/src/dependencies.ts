import type { BaseDeps } from '@ticketing/common';
import type { Config } from './config';
import { createPasswordHasher, type PasswordHasher } from './domain/password-hasher';

/** What auth builds once per start from its config: the password hasher its routes share. */
export interface AuthDeps {
  hasher: PasswordHasher;
}

/** auth's `dependencies` hook (tests call it too, to build the app as a start would). */
export function authDependencies({ config }: Pick<BaseDeps<Config>, 'config'>): AuthDeps {
  return {
    hasher: createPasswordHasher(
      { N: config.SCRYPT_N, r: config.SCRYPT_R, p: config.SCRYPT_P },
      { concurrency: config.HASH_CONCURRENCY, queueTimeoutMs: config.HASH_QUEUE_TIMEOUT_MS },
    ),
  };
}
