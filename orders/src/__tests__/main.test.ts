import os from 'node:os';
import path from 'node:path';
import { runMain } from '@ticketing/common/testing';

const serviceDir = path.join(__dirname, '..', '..');

const unreachable = { DATABASE_URL: 'postgres://127.0.0.1:1/orders', NATS_URL: 'nats://127.0.0.1:1' };

describe('src/main.ts', () => {
  it('exits non-zero naming JWT_KEY when it is missing', async () => {
    const { code, stderr } = await runMain(serviceDir, unreachable);

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/JWT_KEY is required/);
  });

  it('exits non-zero naming JWT_KEY when it is shorter than 32 bytes', async () => {
    const { code, stderr } = await runMain(serviceDir, { ...unreachable, JWT_KEY: 'short' });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^orders: Invalid configuration: JWT_KEY must be at least 32 bytes long$/m);
  });

  it('exits non-zero naming EXPIRATION_WINDOW_SECONDS when it is not a positive integer', async () => {
    const { code, stderr } = await runMain(serviceDir, {
      ...unreachable,
      JWT_KEY: 'k'.repeat(32),
      EXPIRATION_WINDOW_SECONDS: 'soon',
    });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/EXPIRATION_WINDOW_SECONDS must be an integer/);
  });

  it('exits non-zero naming TRACES_FILE_MAX_BYTES when it is not a positive integer', async () => {
    const { code, stderr } = await runMain(serviceDir, {
      ...unreachable,
      JWT_KEY: 'k'.repeat(32),
      TRACES_DIR: path.join(os.tmpdir(), 'orders-main-test-traces'),
      TRACES_FILE_MAX_BYTES: '10MB',
    });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^orders: Invalid configuration: TRACES_FILE_MAX_BYTES must be an integer/m);
  });
});
