import { ConfigError } from '@ticketing/common';
import { testConfig } from '../../__tests__/helpers';
import { createPaymentProvider, SandboxProvider, StripeProvider } from '..';

describe('createPaymentProvider', () => {
  it('uses the sandbox when STRIPE_SECRET_KEY is unset', () => {
    expect(createPaymentProvider(testConfig())).toBeInstanceOf(SandboxProvider);
  });

  it('uses Stripe when STRIPE_SECRET_KEY is set', () => {
    expect(createPaymentProvider(testConfig({ STRIPE_SECRET_KEY: 'sk_test_x' }))).toBeInstanceOf(
      StripeProvider,
    );
  });

  it('refuses a STRIPE_API_PROTOCOL other than http or https', () => {
    const config = testConfig({ STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_API_PROTOCOL: 'ftp' });

    expect(() => createPaymentProvider(config)).toThrow(ConfigError);
  });
});
