#!/usr/bin/env node
/**
 * Operator commands for a service's outbox, against its DATABASE_URL:
 *   ticketing-outbox status                 pending, failing and published counts, dead letters
 *   ticketing-outbox republish --since ISO  publish retained events again (consumers dedupe)
 */
import { Pool } from 'pg';
import { republishSince } from '../messaging/relay';

async function main(argv: string[]): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('DATABASE_URL is required (the service database whose outbox to use)\n');
    return 2;
  }
  const [command, flag, value] = argv;
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    if (command === 'status') {
      const { rows } = await pool.query(`select
          count(*) filter (where published_at is null)::int as pending,
          count(*) filter (where published_at is null and last_error is not null)::int as failing,
          count(*) filter (where published_at is not null)::int as published,
          (select count(*)::int from dead_letters) as dead_letters
        from outbox`);
      process.stdout.write(JSON.stringify(rows[0]) + '\n');
      return 0;
    }
    if (command === 'republish' && flag === '--since' && value && !Number.isNaN(Date.parse(value))) {
      const n = await republishSince(pool, new Date(value));
      process.stdout.write(`${n} events marked for publishing again\n`);
      return 0;
    }
    process.stderr.write('usage: ticketing-outbox status | republish --since <ISO 8601 time>\n');
    return 2;
  } finally {
    await pool.end();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ticketing-outbox: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
