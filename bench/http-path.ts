/**
 * In-process A/B of two pieces of the per-request path, alternated in blocks so that a neighbour's
 * load weighs on both alike: verifying a session token (jsonwebtoken given the secret as a string,
 * as before, or a key object made once, as now; a cookie `currentUser` has verified already skips
 * even that) and reading a ticket by id (a query drizzle builds per call, as before, or the
 * statement prepared once, as now). CPU time of this process (user + system) per operation, on a
 * scratch table in the given database; medians over the blocks.
 *
 *   npx tsx bench/http-path.ts [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--blocks 21]
 */
import { createSecretKey } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import jwt from 'jsonwebtoken';
import { Pool } from 'pg';
import { signSession } from '../common/src';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const DATABASE_URL = arg('database-url') ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BLOCKS = Number(arg('blocks') ?? 21);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Runs each variant `perBlock` times per block, alternating, and returns µs of CPU per operation. */
async function ab(
  variants: Record<string, () => unknown>,
  perBlock: number,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let b = 0; b < BLOCKS; b++) {
    for (const [name, run] of Object.entries(variants)) {
      const start = cpuNow();
      for (let i = 0; i < perBlock; i++) await run();
      samples[name]!.push((cpuNow() - start) / perBlock);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

async function main(): Promise<void> {
  const jwtKey = 'bench-jwt-key-0123456789abcdef';
  const user = { id: '7f1d4a4e-9a34-4c1e-9d3b-2f0a8f2c1b11', email: 'bench@example.com' };
  const token = signSession(user, { jwtKey });
  const key = createSecretKey(Buffer.from(jwtKey));
  const verify = await ab(
    {
      'jwt.verify, secret as a string (before)': () => jwt.verify(token, jwtKey, { algorithms: ['HS256'] }),
      'jwt.verify, key object (after)': () => jwt.verify(token, key, { algorithms: ['HS256'] }),
    },
    2000,
  );

  const pool = new Pool({ connectionString: DATABASE_URL, max: 1 });
  const table = `bench_tickets_${process.pid}`;
  await pool.query(`create table ${table} (id uuid primary key, title text not null, user_id uuid not null)`);
  try {
    const tickets = pgTable(table, {
      id: uuid('id').primaryKey(),
      title: text('title').notNull(),
      userId: uuid('user_id').notNull(),
    });
    const db = drizzle(pool);
    await db.insert(tickets).values({ id: user.id, title: 'Concert', userId: user.id });
    const prepared = db
      .select()
      .from(tickets)
      .where(eq(tickets.id, sql.placeholder('id')))
      .prepare('bench_ticket_by_id');
    const read = await ab(
      {
        'select by id, built per call (before)': () =>
          db.select().from(tickets).where(eq(tickets.id, user.id)),
        'select by id, prepared once (after)': () => prepared.execute({ id: user.id }),
      },
      300,
    );
    for (const [name, us] of Object.entries({ ...verify, ...read }))
      process.stdout.write(`${name}: ${us.toFixed(1)} µs CPU per operation\n`);
  } finally {
    await pool.query(`drop table ${table}`);
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/http-path: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
