import { defineConfig, serviceConfigSpec, type ConfigOf } from '@ticketing/common';

/** Everything auth reads from the environment (the k8s manifests are generated from this spec). */
export const configSpec = defineConfig({
  ...serviceConfigSpec,
  JWT_KEY: { doc: 'HS256 key that signs session JWTs (every service verifies with it)', secret: true },
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
