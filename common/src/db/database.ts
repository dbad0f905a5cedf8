import { AsyncLocalStorage } from 'node:async_hooks';
import { drizzle, type NodePgDatabase, type NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { Pool, type PoolClient, type PoolConfig } from 'pg';

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

/** Bounds on how long a caller waits for the database (see `serviceConfigSpec`). */
export interface DatabaseTimeouts {
  /** Longest wait for a connection (pool slot or new connection). Default 5000. */
  connectTimeoutMs?: number;
  /** Longest a statement runs (server-side `statement_timeout`, and the client's own bound). Default 10000. */
  statementTimeoutMs?: number;
}

// The client gives up a little after the server would: a live server reports its own timeout first
// (57014); only an unresponsive one (stopped, partitioned) trips the client-side bound.
const CLIENT_TIMEOUT_MARGIN_MS = 1_000;

/** Opens a connection pool on `url`. Errors on idle clients are logged by the caller's `onError`, never thrown. */
export function createDatabase(
  url: string,
  options: {
    max?: number;
    applicationName?: string;
    onError?: (err: Error) => void;
  } & DatabaseTimeouts = {},
): DatabaseHandle {
  const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
  const config: PoolConfig = {
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
  };
  const pool = new Pool(config);
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', (err) => options.onError?.(err));
  pool.on('connect', (client) => {
    // A checked-out client whose connection breaks between two queries (the server restarts
    // mid-transaction) emits 'error', which with no listener would crash the process. Nothing to
    // do here: its next query fails as unavailable (a 503, or a retried event) and the pool drops
    // it on release; an idle client's error reaches `onError` through the pool.
    client.on('error', () => undefined);
    discardOnReadTimeout(client);
  });
  const db = drizzle(pool) as Database;
  markTransactions(db);
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

// Set for the async context of every transaction callback, so code can refuse to run inside one.
const insideTransaction = new AsyncLocalStorage<true>();

/**
 * True while the caller runs, directly or through anything it awaits, inside the callback of a
 * transaction opened on a database `createDatabase` made. Work that must not hold a connection
 * and its row locks open (a call to an outside API) checks this and refuses.
 */
export function isInsideTransaction(): boolean {
  return insideTransaction.getStore() === true;
}

function markTransactions(db: Database): void {
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn, config) =>
    transaction((tx) => insideTransaction.run(true, () => fn(tx)), config)) as Database['transaction'];
}

/** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
export function withTransaction<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(fn);
}

/**
 * The database did not answer in time or is unreachable (statement or connect timeout, connection
 * lost, server shutting down or out of connections): nothing is wrong with the request, retrying later may work.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  // Drizzle wraps the driver's error in its own, with the original as `cause`.
  for (const e of [err, (err as { cause?: unknown } | undefined)?.cause]) {
    if (typeof e !== 'object' || e === null) continue;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (code === '57014' || /^(08|57P|53)/.test(code)) return true;
      if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)) return true;
    }
    if (
      typeof message === 'string' &&
      /Query read timeout|Connection discarded after a query read timeout|Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(
        message,
      )
    )
      return true;
    // pg's answer to any query on a client whose connection broke (e.g. drizzle's ROLLBACK after
    // the server went away mid-transaction): the loss, not this query, is the transaction's failure.
    if (typeof message === 'string' && message.includes('Client has encountered a connection error'))
      return true;
  }
  return false;
}

/** True for pg's client-side `query_timeout` error. */
export function isQueryReadTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === 'Query read timeout';
}

/**
 * After a client-side timeout the statement may still be running on the server, inside whatever
 * transaction the client had open: handing that connection to the next caller could commit the
 * abandoned work with theirs. So a client whose query timed out is ended, and the pool drops it
 * when it is released (an ending client is never reused). Any later query on it (drizzle's
 * ROLLBACK after the failed statement) fails with a read-timeout error at once, rather than pg's
 * "Client was closed", which would replace the timeout as the transaction's error and turn a 503
 * into a 500 (ending the connection aborts the transaction on the server anyway).
 *
 * Drizzle's `transaction()` sends BEGIN before its try/finally, so when BEGIN fails (a timeout, a
 * lost connection) it never releases the client and the pool loses that slot for good. Drizzle
 * sends BEGIN as a query object (`{ text: 'begin...' }`; our own code sends strings), so such a
 * failure releases the client here, with the error, which makes the pool discard it.
 */
function discardOnReadTimeout(client: PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  let discarded = false;
  (client as { query: unknown }).query = (...args: unknown[]) => {
    if (discarded) return failQuery(new Error(DISCARDED_MESSAGE), args);
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((err: unknown) => {
        if (isDrizzleBegin(args[0])) client.release(err instanceof Error ? err : true);
        else if (isQueryReadTimeout(err)) {
          discarded = true;
          client.end().catch(() => undefined);
        }
      });
    }
    return result;
  };
}

/** What a query on a client discarded after a read timeout fails with (isDatabaseUnavailable matches it). */
const DISCARDED_MESSAGE = 'Connection discarded after a query read timeout';

/** Fails a query the way pg would: through its callback when it has one, else a rejected promise. */
function failQuery(err: Error, args: unknown[]): unknown {
  const callback = args.at(-1);
  if (typeof callback === 'function') {
    process.nextTick(callback, err);
    return undefined;
  }
  return Promise.reject(err);
}

function isDrizzleBegin(queryConfig: unknown): boolean {
  const text = (queryConfig as { text?: unknown } | null)?.text;
  return typeof queryConfig === 'object' && typeof text === 'string' && /^begin\b/i.test(text);
}
