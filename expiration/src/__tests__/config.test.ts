import path from 'node:path';
import { runMain } from '@ticketing/common/testing';

const serviceDir = path.join(__dirname, '..', '..');

describe('expiration start-up configuration', () => {
  it('exits non-zero naming NATS_URL when it is missing', async () => {
    const { code, stderr } = await runMain(serviceDir, {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/expiration',
    });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/NATS_URL is required/);
  });

  it('exits non-zero naming DATABASE_URL when it is missing', async () => {
    const { code, stderr } = await runMain(serviceDir, { NATS_URL: 'nats://127.0.0.1:1' });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/DATABASE_URL is required/);
  });
});
