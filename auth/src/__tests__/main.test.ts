import path from 'node:path';
import {
  startMain,
  startMessagingFixture,
  type NatsServerHandle,
  type TestDatabase,
} from '@ticketing/common/testing';
import { JWT_KEY, PASSWORD, uniqueEmail } from './helpers';

const serviceDir = path.join(__dirname, '..', '..');

describe('src/main.ts', () => {
  it('exits non-zero naming JWT_KEY when it is missing', async () => {
    const main = startMain(serviceDir, {
      DATABASE_URL: 'postgres://127.0.0.1:1/auth',
      NATS_URL: 'nats://127.0.0.1:1',
    });

    expect(await main.exited).not.toBe(0);
    expect(main.output.stderr).toMatch(/JWT_KEY is required/);
  });

  it('exits non-zero naming JWT_KEY when it is shorter than 32 bytes', async () => {
    const main = startMain(serviceDir, {
      DATABASE_URL: 'postgres://127.0.0.1:1/auth',
      NATS_URL: 'nats://127.0.0.1:1',
      JWT_KEY: 'short',
    });

    expect(await main.exited).not.toBe(0);
    expect(main.output.stderr).toMatch(
      /^auth: Invalid configuration: JWT_KEY must be at least 32 bytes long$/m,
    );
  });

  it('exits non-zero naming DATABASE_URL when it is missing', async () => {
    const main = startMain(serviceDir, { NATS_URL: 'nats://127.0.0.1:1', JWT_KEY });

    expect(await main.exited).not.toBe(0);
    expect(main.output.stderr).toMatch(/DATABASE_URL is required/);
  });

  it('exits non-zero naming SCRYPT_N when it is not an integer', async () => {
    const main = startMain(serviceDir, {
      DATABASE_URL: 'postgres://127.0.0.1:1/auth',
      NATS_URL: 'nats://127.0.0.1:1',
      JWT_KEY,
      SCRYPT_N: 'many',
    });

    expect(await main.exited).not.toBe(0);
    expect(main.output.stderr).toMatch(/SCRYPT_N must be an integer/);
  });

  describe('with a database and NATS', () => {
    let db: TestDatabase;
    let nats: NatsServerHandle;
    let teardown: () => Promise<void>;

    beforeAll(async () => {
      ({ db, nats, stop: teardown } = await startMessagingFixture('auth'));
    });
    afterAll(() => teardown?.());

    it('exits non-zero naming SCRYPT_N when it is not a power of 2', async () => {
      const main = startMain(serviceDir, {
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        JWT_KEY,
        SCRYPT_N: '1000',
        PORT: '0',
      });

      expect(await main.exited).not.toBe(0);
      expect(main.output.stderr).toMatch(/SCRYPT_N must be a power of 2/);
    });

    it('migrates, serves sign-ups and exits 0 on SIGTERM', async () => {
      const main = startMain(serviceDir, {
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        JWT_KEY,
        SCRYPT_N: '1024',
        PORT: '0',
      });
      try {
        const base = await main.url();
        expect((await fetch(`${base}/readyz`)).status).toBe(200);

        const res = await fetch(`${base}/api/users/signup`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: uniqueEmail(), password: PASSWORD }),
        });

        expect(res.status).toBe(201);
        expect(res.headers.get('set-cookie')).toMatch(/^session=/);
      } finally {
        void main.stop();
      }

      expect(await main.exited).toBe(0);
    });
  });
});
