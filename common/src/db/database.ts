import { drizzle, type NodePgDatabase, type NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { Pool, type PoolConfig } from 'pg';

/** A Drizzle handle on a service's database. */
export type Database = NodePgDatabase<Record<string, never>>;

/** A Drizzle transaction: domain functions take one, so a change, its outbox row and its inbox row commit together. */
export type Tx = PgTransaction<
  NodePgQueryResultHKT,
  Record<string, never>,
  ExtractTablesWithRelations<Record<string, never>>
>;

/** The pool and the Drizzle handle built on it. */
export interface DatabaseHandle {
  pool: Pool;
  db: Database;
  /** Ends the pool (waits for checked-out clients to be released). */
  close(): Promise<void>;
}

/** Opens a connection pool on `url`. Errors on idle clients are logged by the caller's `onError`, never thrown. */
export function createDatabase(
  url: string,
  options: { max?: number; applicationName?: string; onError?: (err: Error) => void } = {},
): DatabaseHandle {
  const config: PoolConfig = {
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: 10_000,
  };
  const pool = new Pool(config);
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', (err) => options.onError?.(err));
  const db = drizzle(pool) as Database;
  let closed = false;
  return {
    pool,
    db,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
export function withTransaction<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(fn);
}
