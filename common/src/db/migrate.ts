import path from 'node:path';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { Pool } from 'pg';
import type { Database } from './database';

/** common's own migrations: the outbox, inbox, dead-letter and idempotency-key tables. */
export const commonMigrationsFolder = path.join(__dirname, 'migrations');

// Any constant works; it only has to be the same in every process migrating one database.
const MIGRATION_LOCK = 7_311_942;

/**
 * Applies common's migrations, then the service's (if given). An advisory lock makes replicas that
 * start together take turns instead of racing to create the same tables.
 */
export async function migrateDatabase(
  pool: Pool,
  db: Database,
  serviceMigrationsFolder?: string,
): Promise<void> {
  const lock = await pool.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(db, { migrationsFolder: commonMigrationsFolder, migrationsTable: '__migrations_common' });
    if (serviceMigrationsFolder) {
      await migrate(db, {
        migrationsFolder: serviceMigrationsFolder,
        migrationsTable: '__migrations_service',
      });
    }
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    lock.release();
  }
}
