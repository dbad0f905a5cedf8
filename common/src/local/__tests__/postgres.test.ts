import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminQuery as query } from '../../testing/postgres';
import { startLocalPostgres } from '../postgres';
import { freePort } from '../ports';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-pg-'));
  // As root, PostgreSQL runs as the `postgres` user: it must be able to reach the data dir.
  fs.chmodSync(root, 0o755);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('startLocalPostgres', () => {
  it('keeps a data dir across servers, creating the databases it is asked for', async () => {
    const dataDir = path.join(root, 'kept');
    const first = await startLocalPostgres({
      dataDir,
      password: 'pw',
      databases: ['orders'],
      durable: false,
    });
    await query(first.url('orders'), 'create table kept (v int); insert into kept values (42)');
    await first.stop();

    const second = await startLocalPostgres({
      dataDir,
      password: 'pw',
      databases: ['orders', 'tickets'],
      durable: false,
    });
    try {
      expect(await query(second.url('orders'), 'select v from kept')).toEqual([{ v: 42 }]);
      expect(await query(second.url('tickets'), 'select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await second.stop();
    }
    expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
  });

  it('refuses a connection without the password it was given', async () => {
    const pg = await startLocalPostgres({
      dataDir: path.join(root, 'pw'),
      password: 'secret',
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

  it('uses the preferred port when it is free, and removes its temp dir on stop', async () => {
    const preferred = await freePort();
    const pg = await startLocalPostgres({ port: preferred });
    expect(pg.port).toBe(preferred);
    expect(await query(pg.url(), 'select 1 as one')).toEqual([{ one: 1 }]);
    await pg.stop();
    expect(fs.existsSync(pg.dataDir)).toBe(false);
  });

  it('restarts on the same port with the same data', async () => {
    const pg = await startLocalPostgres();
    try {
      await query(pg.url(), 'create table t (v int); insert into t values (7)');
      const pid = pg.pid();
      await pg.restart();
      expect(pg.pid()).not.toBe(pid);
      expect(await query(pg.url(), 'select v from t')).toEqual([{ v: 7 }]);
    } finally {
      await pg.stop();
    }
  });
});
