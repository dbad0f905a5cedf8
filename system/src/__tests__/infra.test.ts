import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
