import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { findNatsServer, NatsServerNotFoundError, startNats } from '../nats';
import { freePort } from '../ports';
import { startPostgres } from '../postgres';

const quiet = () => undefined;

async function query(url: string, text: string): Promise<unknown[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

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
      port: await freePort(),
      databases: ['auth', 'orders'],
      log: quiet,
      durable: false,
    });
    await query(first.url('orders'), 'create table kept (v int); insert into kept values (42)');
    await first.stop();

    const second = await startPostgres({
      dataDir,
      port: await freePort(),
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

  it('refuses a connection without the generated password', async () => {
    const pg = await startPostgres({
      dataDir: path.join(root, 'pw'),
      port: await freePort(),
      databases: [],
      log: quiet,
      durable: false,
    });
    try {
      await expect(
        query(`postgres://postgres:wrong@127.0.0.1:${pg.port}/postgres`, 'select 1'),
      ).rejects.toThrow(/password authentication failed/);
    } finally {
      await pg.stop();
    }
  });
});

describe('nats-server', () => {
  it('starts with JetStream, survives kill -9 and restarts on the same port', async () => {
    const port = await freePort();
    const nats = await startNats({ storeDir: path.join(root, 'nats'), port, log: quiet });
    try {
      expect(nats.url).toBe(`nats://127.0.0.1:${port}`);
      const pid = nats.pid();
      await nats.kill('SIGKILL');
      expect(await canConnect(port)).toBe(false);
      await nats.restart();
      expect(await canConnect(port)).toBe(true);
      expect(nats.pid()).not.toBe(pid);
      expect(fs.existsSync(path.join(root, 'nats', 'jetstream'))).toBe(true);
    } finally {
      await nats.stop();
    }
  });

  it('uses NATS_URL as given and starts nothing', async () => {
    const nats = await startNats({
      url: 'nats://example:4222',
      storeDir: path.join(root, 'unused'),
      port: 1,
      log: quiet,
    });
    expect(nats.owned).toBe(false);
    expect(nats.url).toBe('nats://example:4222');
    expect(fs.existsSync(path.join(root, 'unused'))).toBe(false);
  });

  it('says in one line how to install nats-server when it cannot be found', async () => {
    const env = { PATH: '/nonexistent' };
    expect(findNatsServer(env, [])).toBeUndefined();
    await expect(
      startNats({ storeDir: path.join(root, 'x'), port: 1, log: quiet, env, searchDirs: [] }),
    ).rejects.toBeInstanceOf(NatsServerNotFoundError);
  });

  it('has a not-found message that names the install command and NATS_URL', () => {
    const message = new NatsServerNotFoundError().message;
    expect(message).not.toContain('\n');
    expect(message).toContain('apt-get install nats-server');
    expect(message).toContain('NATS_URL');
  });
});
