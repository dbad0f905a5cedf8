import crypto from 'node:crypto';
import { Client } from 'pg';
import { startLocalPostgres, type LocalPostgres } from '../local/postgres';

export { findPostgresBin } from '../local/postgres';
export { freePort } from '../local/ports';

/** A PostgreSQL server a test run started for itself. */
export type PostgresServerHandle = LocalPostgres;

/**
 * Starts a throwaway PostgreSQL server (the machine's binaries first, a temp dir removed on stop,
 * trust auth, durability off for speed) on a free port. Nothing it does touches the machine's own PostgreSQL.
 */
export function startPostgres(): Promise<PostgresServerHandle> {
  return startLocalPostgres({ settings: { max_connections: 400, shared_buffers: '64MB' } });
}

/** A random database name that says it is a test database. */
export function testDatabaseName(prefix = 'test'): string {
  return `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
}

/** Runs one statement (e.g. CREATE/DROP DATABASE on the server's `postgres` database) and returns its rows. */
export async function adminQuery(serverUrl: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}
