import {
  defineConfig,
  idempotencyConfigSpec,
  jwtKeySpec,
  serviceConfigSpec,
  type ConfigOf,
} from '@ticketing/common';

export const configSpec = defineConfig({
  ...serviceConfigSpec,
  ...idempotencyConfigSpec,
  JWT_KEY: { ...jwtKeySpec, doc: 'HS256 key that verifies session JWTs (the one auth signs with)' },
  NODE_ENV: {
    doc: 'production refuses to fall back to the sandbox: it needs STRIPE_SECRET_KEY or PAYMENT_PROVIDER=sandbox',
    default: 'development',
  },
  PAYMENT_PROVIDER: {
    doc: 'stripe or sandbox (the built-in provider with Stripe test-card semantics); unset: stripe when STRIPE_SECRET_KEY is set, else sandbox outside production',
    oneOf: ['stripe', 'sandbox'],
    optional: true,
  },
  STRIPE_SECRET_KEY: {
    doc: 'Stripe secret key (required by PAYMENT_PROVIDER=stripe, and in production unless PAYMENT_PROVIDER=sandbox)',
    optional: true,
    secret: true,
  },
  STRIPE_API_HOST: {
    doc: "Stripe API host (default Stripe's); for pointing the client at a local server",
    optional: true,
  },
  STRIPE_API_PORT: { doc: 'Stripe API port (default 443)', type: 'int', min: 1, optional: true },
  STRIPE_API_PROTOCOL: { doc: 'Stripe API protocol, http or https (default https)', optional: true },
  RECONCILE_INTERVAL_MS: {
    doc: 'Pause between rounds of the reconciler, which settles payment attempts left pending longer than the stale window (60 s)',
    type: 'int',
    default: 30000,
    min: 100,
  },
  REFUND_INTERVAL_MS: {
    doc: 'Pause between rounds of the refund worker, which makes the refunds owed for payments of cancelled orders',
    type: 'int',
    default: 1000,
    min: 10,
  },
  REFUND_RETRY_BASE_MS: {
    doc: 'Wait after the first failed refund attempt; it doubles with each further failure, up to REFUND_RETRY_MAX_MS (a refund is retried for as long as it takes)',
    type: 'int',
    default: 1000,
    min: 10,
  },
  REFUND_RETRY_MAX_MS: {
    doc: 'Longest wait between two attempts at one refund',
    type: 'int',
    default: 300000,
    min: 10,
  },
  REFUND_CLAIM_LEASE_MS: {
    doc: "How long a refund claimed by a worker is left to it before another may take it (the first died mid-call); longer than a provider call can take (Stripe's client: 15 s, retried twice)",
    type: 'int',
    default: 120000,
    min: 100,
  },
  REFUND_PENDING_WARN_SECONDS: {
    doc: 'A refund pending longer than this is logged as a warning at each failed attempt and counted by the refunds_overdue metric',
    type: 'int',
    default: 900,
    min: 1,
  },
  PAYMENT_MAX_DECLINES_PER_ORDER: {
    doc: 'Declined attempts on one order within PAYMENT_DECLINE_WINDOW_SECONDS after which the next attempt gets 429 (before the provider is called)',
    type: 'int',
    default: 5,
    min: 1,
  },
  PAYMENT_MAX_DECLINES_PER_USER: {
    doc: "Declined attempts across one buyer's orders within PAYMENT_DECLINE_WINDOW_SECONDS after which the next attempt gets 429",
    type: 'int',
    default: 20,
    min: 1,
  },
  PAYMENT_DECLINE_WINDOW_SECONDS: {
    doc: 'Window in which declined payment attempts are counted',
    type: 'int',
    default: 3600,
    min: 1,
  },
});

export type Config = ConfigOf<typeof configSpec>;
