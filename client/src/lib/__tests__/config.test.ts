import { loadConfig } from '../config';

describe('loadConfig', () => {
  it('defaults to the local gateway, no Stripe key and a 5 s timeout', () => {
    expect(loadConfig({})).toEqual({
      apiBaseUrl: 'http://localhost:3000',
      stripePublishableKey: null,
      apiTimeoutMs: 5000,
    });
  });

  it('reads API_BASE_URL without a trailing slash and the Stripe key', () => {
    const config = loadConfig({
      API_BASE_URL: 'http://ingress-nginx-controller.ingress-nginx.svc/',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_123',
    });
    expect(config.apiBaseUrl).toBe('http://ingress-nginx-controller.ingress-nginx.svc');
    expect(config.stripePublishableKey).toBe('pk_test_123');
  });

  it('treats an empty Stripe key as unset', () => {
    expect(loadConfig({ STRIPE_PUBLISHABLE_KEY: '  ' }).stripePublishableKey).toBeNull();
  });

  it('names the variable when API_BASE_URL is not a URL', () => {
    expect(() => loadConfig({ API_BASE_URL: 'gateway:3000' })).toThrow(/API_BASE_URL/);
  });

  it('names the variable when API_TIMEOUT_MS is not a positive integer', () => {
    expect(() => loadConfig({ API_TIMEOUT_MS: 'soon' })).toThrow(/API_TIMEOUT_MS/);
  });
});
