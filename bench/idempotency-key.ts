/**
 * What an Idempotency-Key costs on POST /api/tickets, on a private PostgreSQL with fsync on.
 *
 *   npx tsx bench/idempotency-key.ts [--requests 500] [--concurrency 8] [--rounds 7]
 *
 * Figures are ratios against a baseline taken in the same run on the same server, per round of
 * interleaved runs (the median over rounds, so a machine whose load shifts between rounds skews
 * little): requests/s of POSTs without a key (baseline), with a new key each (the key is looked up
 * and locked in one statement and stored in the ticket's transaction), and repeats of one stored
 * key (replays: no effect, one lookup).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createDatabase, loadConfig, migrateDatabase, silentLogger } from '@ticketing/common';
import { startLocalPostgres } from '@ticketing/common/local';
import { sessionCookie } from '@ticketing/common/testing';
import { buildApp } from '../tickets/src/app';
import { configSpec } from '../tickets/src/config';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) || fallback : fallback;
const REQUESTS = option('--requests', 500);
const CONCURRENCY = option('--concurrency', 8);
const ROUNDS = option('--rounds', 7);
const JWT_KEY = 'bench-jwt-key-of-at-least-32-bytes-long';

async function main() {
  const pg = await startLocalPostgres({ durable: true, settings: { max_connections: 100 } });
  try {
    const url = pg.url('bench_tickets');
    const admin = createDatabase(pg.url(), { max: 1 });
    await admin.pool.query('create database bench_tickets');
    await admin.close();
    const handle = createDatabase(url, { max: 20 });
    await migrateDatabase(handle.pool, handle.db, path.join(__dirname, '../tickets/src/db/migrations'));
    const config = loadConfig(configSpec, { DATABASE_URL: url, NATS_URL: 'nats://127.0.0.1:1', JWT_KEY });
    const app = buildApp({ config, db: handle.db, logger: silentLogger(), deps: undefined });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/tickets`;
    const cookie = sessionCookie(JWT_KEY, { id: crypto.randomUUID() });
    const replayKey = crypto.randomUUID();

    const post = async (key: string | undefined) => {
      const res = await fetch(base, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify({ title: 'Concert', price: 10 }),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`POST answered ${res.status}`);
    };
    const run = async (key: () => string | undefined): Promise<number> => {
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < REQUESTS) await post(key());
        }),
      );
      return REQUESTS / ((performance.now() - started) / 1000);
    };

    await post(replayKey);
    await run(() => undefined); // warm-up
    const rounds: { none: number; fresh: number; replay: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const none = await run(() => undefined);
      const fresh = await run(() => crypto.randomUUID());
      const replay = await run(() => replayKey);
      rounds.push({ none, fresh, replay });
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const baseline = median(rounds.map((r) => r.none));
    const freshRatio = median(rounds.map((r) => r.fresh / r.none));
    const replayRatio = median(rounds.map((r) => r.replay / r.none));
    console.log(`POST /api/tickets, ${REQUESTS} requests x ${ROUNDS} rounds, concurrency ${CONCURRENCY}`);
    console.log(`baseline: without a key   ${Math.round(baseline)} req/s (median of rounds)`);
    console.log(`with a new key each:      ${freshRatio.toFixed(2)} x baseline (median of per-round ratios)`);
    console.log(`replays of one key:       ${replayRatio.toFixed(2)} x baseline`);
    server.close();
    await handle.close();
  } finally {
    await pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
