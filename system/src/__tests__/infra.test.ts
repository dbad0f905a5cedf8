import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { STREAM_NAME } from '@ticketing/common';
import { adminQuery as query } from '@ticketing/common/testing';
import { NatsServerNotFoundError, startNats } from '../nats';
import { startPostgres } from '../postgres';

const quiet = () => undefined;

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'system-infra-'));
  fs.chmodSync(root, 0o755);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('the embedded PostgreSQL', () => {
  it('creates one database per service and keeps the data across a restart', async () => {
    const dataDir = path.join(root, 'postgres');
    const first = await startPostgres({
      dataDir,
      databases: ['auth', 'orders'],
      log: quiet,
      durable: false,
    });
    await query(first.url('orders'), 'create table kept (v int); insert into kept values (42)');
    await first.stop();

    const second = await startPostgres({
      dataDir,
      databases: ['auth', 'orders', 'tickets'],
      log: quiet,
      durable: false,
    });
    try {
      expect(await query(second.url('orders'), 'select v from kept')).toEqual([{ v: 42 }]);
      const dbs = (await query(
        second.url(),
        "select datname from pg_database where datname in ('auth','orders','tickets') order by 1",
      )) as { datname: string }[];
      expect(dbs.map((d) => d.datname)).toEqual(['auth', 'orders', 'tickets']);
    } finally {
      await second.stop();
    }
  });

  it('generates a password into postgres.password and refuses a connection without it', async () => {
    const pg = await startPostgres({
      dataDir: path.join(root, 'pw'),
      databases: [],
      log: quiet,
      durable: false,
    });
    try {
      expect(fs.statSync(path.join(root, 'postgres.password')).mode & 0o777).toBe(0o600);
      await expect(
        query(`postgres://postgres:wrong@127.0.0.1:${pg.port}/postgres`, 'select 1'),
      ).rejects.toThrow(/password authentication failed/);
    } finally {
      await pg.stop();
    }
  });
});

describe('nats-server', () => {
  it('refuses an anonymous client, admits each service with the passwords it keeps, and lets the admin step create the stream', async () => {
    const nats = await startNats({ storeDir: path.join(root, 'nats-auth', 'nats'), log: quiet });
    try {
      await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization/i);
      expect(nats.credentialsEnv('auth')).toEqual({});
      const orders = nats.credentialsEnv('orders');
      expect(orders.NATS_USER).toBe('orders');
      expect(fs.statSync(path.join(root, 'nats-auth', 'nats-passwords', 'orders')).mode & 0o777).toBe(0o600);

      await nats.setupStream({ maxBytes: 2 * 1024 * 1024 });

      const nc = await connect({
        servers: nats.url,
        user: orders.NATS_USER,
        pass: orders.NATS_PASSWORD,
        inboxPrefix: '_INBOX_orders',
      });
      try {
        const info = await (await jetstreamManager(nc)).streams.info(STREAM_NAME);
        expect(info.config.max_bytes).toBe(2 * 1024 * 1024);
      } finally {
        await nc.close();
      }
    } finally {
      await nats.stop();
    }
  });

  it('uses NATS_URL as given and starts nothing', async () => {
    const nats = await startNats({
      url: 'nats://example:4222',
      storeDir: path.join(root, 'unused'),
      log: quiet,
    });
    expect(nats.owned).toBe(false);
    expect(nats.url).toBe('nats://example:4222');
    expect(fs.existsSync(path.join(root, 'unused'))).toBe(false);
  });

  it('says in one line how to install nats-server, or to set NATS_URL, when it cannot be found', async () => {
    const started = startNats({
      storeDir: path.join(root, 'x'),
      log: quiet,
      env: { PATH: '/nonexistent' },
      searchDirs: [],
    });
    await expect(started).rejects.toBeInstanceOf(NatsServerNotFoundError);
    await expect(started).rejects.toThrow(
      /^nats-server not found: [^\n]*apt-get install nats-server[^\n]*NATS_URL/,
    );
  });
});
