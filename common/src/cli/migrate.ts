#!/usr/bin/env node
/**
 * Applies common's migrations (outbox, inbox, dead letters), then a service's, to DATABASE_URL:
 *   ticketing-migrate [<service migrations folder>]
 * The same migrateDatabase a service runs at start, for deploy steps that migrate ahead of it.
 */
import path from 'node:path';
import { createDatabase } from '../db/database';
import { migrateDatabase } from '../db/migrate';

async function main(argv: string[]): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('DATABASE_URL is required (the service database to migrate)\n');
    return 2;
  }
  if (argv.length > 1 || argv[0]?.startsWith('-')) {
    process.stderr.write('usage: ticketing-migrate [<service migrations folder>]\n');
    return 2;
  }
  const folder = argv[0] ? path.resolve(argv[0]) : undefined;
  const database = createDatabase(url, { max: 2, applicationName: 'ticketing-migrate' });
  try {
    await migrateDatabase(database.pool, database.db, folder);
    process.stdout.write(`migrated ${new URL(url).pathname.slice(1) || 'the database'}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ticketing-migrate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
