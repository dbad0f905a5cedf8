import path from 'node:path';
import { runMain } from '@ticketing/common/testing';

const serviceDir = path.join(__dirname, '..', '..');

const complete = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:1/payments',
  NATS_URL: 'nats://127.0.0.1:1',
  JWT_KEY: 'k',
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
