import path from 'node:path';
import { runMain } from '@ticketing/common/testing';

const serviceDir = path.join(__dirname, '..', '..');

const complete = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:1/payments',
  NATS_URL: 'nats://127.0.0.1:1',
  JWT_KEY: 'k'.repeat(32),
};

describe('payments start-up configuration', () => {
  it.each(['JWT_KEY', 'DATABASE_URL', 'NATS_URL'] as const)(
    'exits non-zero naming %s when it is missing',
    async (name) => {
      const env: Record<string, string> = { ...complete };
      delete env[name];

      const { code, stderr } = await runMain(serviceDir, env);

      expect(code).not.toBe(0);
      expect(stderr).toContain(`${name} is required`);
    },
  );

  it('exits non-zero naming JWT_KEY when it is shorter than 32 bytes', async () => {
    const { code, stderr } = await runMain(serviceDir, { ...complete, JWT_KEY: 'short' });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^payments: Invalid configuration: JWT_KEY must be at least 32 bytes long$/m);
  });

  it('exits non-zero naming STRIPE_SECRET_KEY in production without a Stripe key or PAYMENT_PROVIDER=sandbox', async () => {
    const { code, stderr } = await runMain(serviceDir, { ...complete, NODE_ENV: 'production' });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(
      /^payments: Invalid configuration: STRIPE_SECRET_KEY is required in production \(or set PAYMENT_PROVIDER=sandbox to take no real payments\)$/m,
    );
  });

  it('exits non-zero naming PAYMENT_PROVIDER when it is neither stripe nor sandbox', async () => {
    const { code, stderr } = await runMain(serviceDir, { ...complete, PAYMENT_PROVIDER: 'paypal' });

    expect(code).not.toBe(0);
    expect(stderr).toContain('PAYMENT_PROVIDER must be one of stripe, sandbox, got "paypal"');
  });

  it('exits non-zero naming STRIPE_API_PORT when it is not a number', async () => {
    const { code, stderr } = await runMain(serviceDir, { ...complete, STRIPE_API_PORT: 'abc' });

    expect(code).not.toBe(0);
    expect(stderr).toContain('STRIPE_API_PORT must be an integer');
  });

  it('exits non-zero naming RECONCILE_INTERVAL_MS when it is below 100', async () => {
    const { code, stderr } = await runMain(serviceDir, { ...complete, RECONCILE_INTERVAL_MS: '50' });

    expect(code).not.toBe(0);
    expect(stderr).toContain('RECONCILE_INTERVAL_MS must be at least 100');
  });
});
