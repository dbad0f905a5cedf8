import { drizzle } from 'drizzle-orm/node-postgres';
import { ConfigError, type Database } from '@ticketing/common';
import { testConfig } from '../../__tests__/helpers';
import { createPaymentProvider, SandboxProvider, StripeProvider } from '..';

// Only the sandbox's ledger would use it, and choosing a provider touches no database.
const unusedDb = drizzle.mock() as unknown as Database;

describe('createPaymentProvider', () => {
  it('uses the sandbox when STRIPE_SECRET_KEY is unset', () => {
    expect(createPaymentProvider(testConfig(), unusedDb)).toBeInstanceOf(SandboxProvider);
  });

  it('uses Stripe when STRIPE_SECRET_KEY is set', () => {
    expect(createPaymentProvider(testConfig({ STRIPE_SECRET_KEY: 'sk_test_x' }), unusedDb)).toBeInstanceOf(
      StripeProvider,
    );
  });

  it('uses the sandbox when PAYMENT_PROVIDER=sandbox, even with a Stripe key', () => {
    const config = testConfig({ PAYMENT_PROVIDER: 'sandbox', STRIPE_SECRET_KEY: 'sk_test_x' });

    expect(createPaymentProvider(config, unusedDb)).toBeInstanceOf(SandboxProvider);
  });

  it('refuses PAYMENT_PROVIDER=stripe without STRIPE_SECRET_KEY', () => {
    expect(() => createPaymentProvider(testConfig({ PAYMENT_PROVIDER: 'stripe' }), unusedDb)).toThrow(
      'STRIPE_SECRET_KEY is required when PAYMENT_PROVIDER=stripe',
    );
  });

  it('refuses to fall back to the sandbox in production', () => {
    expect(() => createPaymentProvider(testConfig({ NODE_ENV: 'production' }), unusedDb)).toThrow(
      /STRIPE_SECRET_KEY is required in production/,
    );
  });

  it('uses the sandbox in production only when PAYMENT_PROVIDER=sandbox says so', () => {
    const config = testConfig({ NODE_ENV: 'production', PAYMENT_PROVIDER: 'sandbox' });

    expect(createPaymentProvider(config, unusedDb)).toBeInstanceOf(SandboxProvider);
  });

  it('uses Stripe in production when STRIPE_SECRET_KEY is set', () => {
    const config = testConfig({ NODE_ENV: 'production', STRIPE_SECRET_KEY: 'sk_test_x' });

    expect(createPaymentProvider(config, unusedDb)).toBeInstanceOf(StripeProvider);
  });

  it('refuses a STRIPE_API_PROTOCOL other than http or https', () => {
    const config = testConfig({ STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_API_PROTOCOL: 'ftp' });

    expect(() => createPaymentProvider(config, unusedDb)).toThrow(ConfigError);
  });
});
