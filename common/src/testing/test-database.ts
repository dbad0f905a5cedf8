import { createDatabase, type DatabaseHandle } from '../db/database';
import { migrateDatabase } from '../db/migrate';
import { adminQuery, startPostgres, testDatabaseName, type PostgresServerHandle } from './postgres';

// Set by the jest global setup in the parent process; jest workers inherit them.
const SERVER_ENV = 'TICKETING_TEST_PG_SERVER';
const TEMPLATE_ENV = 'TICKETING_TEST_PG_TEMPLATE';
const COPY_CLAUSE_ENV = 'TICKETING_TEST_PG_COPY_CLAUSE';

type GlobalWithPg = typeof globalThis & { __ticketingTestPg?: PostgresServerHandle };

/**
 * Jest globalSetup: starts one private PostgreSQL server for the run and migrates a template
 * database (common's migrations, then the package's own), which each test file copies.
 */
export async function setupTestPostgres(options: { migrationsFolder?: string } = {}): Promise<void> {
  const server = await startPostgres();
  (globalThis as GlobalWithPg).__ticketingTestPg = server;
  const template = testDatabaseName('template_test');
  await adminQuery(server.url(), `create database ${template}`);
  const handle = createDatabase(server.url(template), { max: 2 });
  try {
    await migrateDatabase(handle.pool, handle.db, options.migrationsFolder);
  } finally {
    await handle.close();
  }
  process.env[SERVER_ENV] = server.url();
  process.env[TEMPLATE_ENV] = template;
  // PostgreSQL 15+ copies a template by writing every page to the WAL unless told to copy its files
  // (after a checkpoint, cheap with fsync off): FILE_COPY made a test file's database in about half
  // the time (median 0.8 s against 1.9 s, 6 rounds interleaved, load average ~24). Older servers
  // only copy files and do not know the clause.
  const [{ version }] = await adminQuery(server.url(), 'show server_version_num');
  process.env[COPY_CLAUSE_ENV] = Number(version) >= 150000 ? ' strategy file_copy' : '';
}

/** Jest globalTeardown: stops the server `setupTestPostgres` started. */
export async function teardownTestPostgres(): Promise<void> {
  await (globalThis as GlobalWithPg).__ticketingTestPg?.stop();
}

/** A test file's own database, copied from the migrated template. */
export interface TestDatabase extends DatabaseHandle {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** Creates a fresh database for one test file from the migrated template (see `setupTestPostgres`). */
export async function createTestDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const serverUrl = process.env[SERVER_ENV];
  const template = process.env[TEMPLATE_ENV];
  const copyClause = process.env[COPY_CLAUSE_ENV] ?? '';
  if (!serverUrl || !template) {
    throw new Error('No test PostgreSQL: set globalSetup in jest.config.js to call setupTestPostgres()');
  }
  const name = testDatabaseName();
  // Guard: only ever create or drop databases whose names say they are for tests.
  if (!name.includes('test')) throw new Error(`refusing to use database ${name}`);
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(serverUrl, `create database ${name} template ${template}${copyClause}`);
      break;
    } catch (err) {
      // Two files copying the template at the same instant: PostgreSQL asks one to wait its turn.
      if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const url = serverUrl.replace(/\/[^/]*$/, `/${name}`);
  const handle = createDatabase(url, { max: options.max ?? 20 });
  return {
    ...handle,
    url,
    name,
    async drop() {
      await handle.close();
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}
