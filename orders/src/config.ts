import {
  defineConfig,
  idempotencyConfigSpec,
  jwtKeySpec,
  serviceConfigSpec,
  type ConfigOf,
} from '@ticketing/common';

/** Everything orders reads from the environment (the k8s manifests are generated from this spec). */
export const configSpec = defineConfig({
  ...serviceConfigSpec,
  ...idempotencyConfigSpec,
  JWT_KEY: { ...jwtKeySpec, doc: 'HS256 key that verifies session JWTs (the one auth signs with)' },
  EXPIRATION_WINDOW_SECONDS: {
    doc: 'How long a placed order reserves its ticket before it expires',
    type: 'int',
    default: 900,
    min: 1,
  },
  MAX_LIVE_ORDERS_PER_USER: {
    doc: 'Unpaid orders (created or awaiting payment) one buyer may hold at once; the next gets 429',
    type: 'int',
    default: 10,
    min: 1,
  },
});

/** orders' typed configuration. */
export type Config = ConfigOf<typeof configSpec>;
