import {
  defineConfig,
  idempotencyConfigSpec,
  jwtKeySpec,
  serviceConfigSpec,
  type ConfigOf,
} from '@ticketing/common';

/** Everything tickets reads from the environment (the k8s manifests are generated from this spec). */
export const configSpec = defineConfig({
  ...serviceConfigSpec,
  ...idempotencyConfigSpec,
  JWT_KEY: { ...jwtKeySpec, doc: 'HS256 key that verifies session JWTs (the one auth signs with)' },
});

/** tickets' typed configuration. */
export type Config = ConfigOf<typeof configSpec>;
