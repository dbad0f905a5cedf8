import { defineConfig, jwtKeySpec, serviceConfigSpec, type ConfigOf } from '@ticketing/common';

/** Everything auth reads from the environment (the k8s manifests are generated from this spec). */
export const configSpec = defineConfig({
  ...serviceConfigSpec,
  JWT_KEY: { ...jwtKeySpec, doc: 'HS256 key that signs session JWTs (every service verifies with it)' },
  JWT_EXPIRES_IN_SECONDS: {
    doc: 'Lifetime of a session JWT and its cookie',
    type: 'int',
    default: 86_400,
    min: 1,
  },
  // OWASP Password Storage Cheat Sheet: scrypt with N=2^17, r=8, p=1. New hashes use these values;
  // existing hashes keep the ones they were made with and are upgraded at the next sign-in.
  SCRYPT_N: {
    doc: 'scrypt CPU/memory cost of new password hashes (a power of 2)',
    type: 'int',
    default: 131_072,
    min: 2,
  },
  SCRYPT_R: { doc: 'scrypt block size of new password hashes', type: 'int', default: 8, min: 1 },
  SCRYPT_P: { doc: 'scrypt parallelism of new password hashes', type: 'int', default: 1, min: 1 },
  // Each hash in flight takes 128·N·r bytes; the memory limit in infra/k8s/base/auth.yaml is derived
  // from SCRYPT_N and HASH_CONCURRENCY (requiredMemoryLimit in src/domain/memory-budget.ts).
  HASH_CONCURRENCY: {
    doc: 'Password hashes computed at once (more wait in a queue); above UV_THREADPOOL_SIZE (4) gains nothing',
    type: 'int',
    default: 2,
    min: 1,
  },
  HASH_QUEUE_TIMEOUT_MS: {
    doc: 'Longest wait of a sign-up or sign-in for a hashing turn before it gets 503 with Retry-After',
    type: 'int',
    default: 5000,
    min: 1,
  },
  SIGNIN_MAX_FAILURES: {
    doc: 'Failed sign-ins for one email that trigger 429',
    type: 'int',
    default: 10,
    min: 1,
  },
  SIGNIN_WINDOW_SECONDS: {
    doc: 'Window in which failed sign-ins are counted',
    type: 'int',
    default: 900,
    min: 1,
  },
  SIGNUP_MAX_PER_ADDRESS: {
    doc: 'Sign-ups from one client address within SIGNUP_ADDRESS_WINDOW_SECONDS before 429 (a generous ceiling: tests and offices share addresses)',
    type: 'int',
    default: 1000,
    min: 1,
  },
  SIGNUP_ADDRESS_WINDOW_SECONDS: {
    doc: 'Window in which sign-ups per client address are counted',
    type: 'int',
    default: 3600,
    min: 1,
  },
  SIGNIN_MAX_FAILURES_PER_ADDRESS: {
    doc: 'Failed sign-ins from one client address, across all emails, within SIGNIN_WINDOW_SECONDS before 429 (password spraying)',
    type: 'int',
    default: 100,
    min: 1,
  },
});

/** auth's typed configuration. */
export type Config = ConfigOf<typeof configSpec>;
