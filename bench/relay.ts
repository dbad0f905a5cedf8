/**
 * Benchmark of the messaging core, on a private PostgreSQL and nats-server.
 *
 *   npx tsx bench/relay.ts [--events 20000]
 *
 * Figures are reported as ratios against a baseline taken in the same run on the same servers:
 * - throughput: events/s drained from the outbox by 1 and by 4 relays, vs. plain JetStream
 *   publishes of the same messages (same concurrency, with message ids, no database);
 * - latency: commit-to-handler time of an event (outbox → relay → stream → consumer → inbox
 *   commit), vs. plain publish-to-handler time of a bare JetStream consumer.
 */
import crypto from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  createDatabase,
  defineConsumer,
  ensureStream,
  migrateDatabase,
  outbox,
  OutboxRelay,
  silentLogger,
  STREAM_NAME,
} from '@ticketing/common';
import { adminQuery, startNatsServer, startPostgres, startTestConsumer } from '@ticketing/common/testing';

const args = process.argv.slice(2);
const EVENTS = Number(args[args.indexOf('--events') + 1]) || 20_000;
const LATENCY_SAMPLES = 300;
const logger = silentLogger();

function data(i: number) {
  return { id: crypto.randomUUID(), version: 0, title: `T${i}`, price: 10, userId: crypto.randomUUID() };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const pg = await startPostgres();
  const nats = await startNatsServer();
  try {
    await adminQuery(pg.url(), 'create database bench_test');
    const handle = createDatabase(pg.url('bench_test'), { max: 20 });
    await migrateDatabase(handle.pool, handle.db);
    const nc = await connect({ servers: nats.url });
    await ensureStream(nc);
    const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(nc);

    const fill = async () => {
      for (let i = 0; i < EVENTS; i += 1000) {
        await handle.db.transaction(async (tx) => {
          for (let j = i; j < Math.min(EVENTS, i + 1000); j++)
            await outbox.add(tx, 'ticket.created', data(j));
        });
      }
    };
    const drain = async (relays: number): Promise<number> => {
      await jsm.streams.purge(STREAM_NAME);
      await fill();
      const conns = await Promise.all(Array.from({ length: relays }, () => connect({ servers: nats.url })));
      const started = performance.now();
      const rs = conns.map(
        (c) => new OutboxRelay({ pool: handle.pool, js: jetstream(c), logger, batchSize: 250 }),
      );
      await Promise.all(rs.map((r) => r.start()));
      for (;;) {
        const { rows } = await handle.pool.query(
          'select count(*)::int as n from outbox where published_at is null',
        );
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const seconds = (performance.now() - started) / 1000;
      await Promise.all(rs.map((r) => r.stop()));
      await Promise.all(conns.map((c) => c.close()));
      await handle.pool.query('delete from outbox');
      return EVENTS / seconds;
    };
    const baseline = async (): Promise<number> => {
      await jsm.streams.purge(STREAM_NAME);
      const js = jetstream(nc);
      const started = performance.now();
      for (let i = 0; i < EVENTS; i += 250) {
        const batch = [];
        for (let j = i; j < Math.min(EVENTS, i + 250); j++) {
          const id = crypto.randomUUID();
          batch.push(js.publish('ticket.created', JSON.stringify({ id, data: data(j) }), { msgID: id }));
        }
        await Promise.all(batch);
      }
      return EVENTS / ((performance.now() - started) / 1000);
    };

    const raw = await baseline();
    const one = await drain(1);
    const four = await drain(4);

    // Latency: one event at a time, so the figure is the pipeline's, not a queue's.
    await jsm.streams.purge(STREAM_NAME);
    const relay = new OutboxRelay({ pool: handle.pool, js: jetstream(nc), logger });
    await relay.start();
    const handledAt = new Map<string, number>();
    const latencies: number[] = [];
    const tc = await startTestConsumer(
      defineConsumer('ticket.created', async (_tx, event) => {
        handledAt.set(event.id, performance.now());
      }),
      { service: 'bench', natsUrl: nats.url, db: handle.db },
    );
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const handled = tc.next('handled');
      const event = await handle.db.transaction((tx) => outbox.add(tx, 'ticket.created', data(i)));
      const committed = performance.now();
      await handled;
      latencies.push(handledAt.get(event.id)! - committed);
    }
    await tc.stop();
    await relay.stop();

    // Baseline latency: a bare JetStream publish to the same consumer machinery (no outbox, no relay).
    const js = jetstream(nc);
    const bare: number[] = [];
    const consumer = await js.consumers.get(
      STREAM_NAME,
      (
        await jsm.consumers.add(STREAM_NAME, {
          durable_name: 'bench_bare',
          filter_subject: 'ticket.updated',
          ack_policy: 'explicit' as never,
        })
      ).name,
    );
    const messages = await consumer.consume();
    const iterator = messages[Symbol.asyncIterator]();
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const t0 = performance.now();
      await js.publish('ticket.updated', '{}');
      const m = await iterator.next();
      m.value.ack();
      bare.push(performance.now() - t0);
    }
    messages.stop();

    latencies.sort((a, b) => a - b);
    bare.sort((a, b) => a - b);
    const fmt = (n: number) => n.toFixed(1);
    console.log(`events: ${EVENTS}`);
    console.log(`baseline: plain JetStream publishes           ${Math.round(raw)} msg/s`);
    console.log(`1 relay:  ${Math.round(one)} events/s  (${(one / raw).toFixed(2)} x baseline)`);
    console.log(
      `4 relays: ${Math.round(four)} events/s  (${(four / raw).toFixed(2)} x baseline, ${(four / one).toFixed(2)} x one relay)`,
    );
    console.log(
      `commit-to-handler latency: p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms ` +
        `(baseline publish-to-handler p50 ${fmt(percentile(bare, 50))} ms, p99 ${fmt(percentile(bare, 99))} ms; ` +
        `p50 ratio ${(percentile(latencies, 50) / percentile(bare, 50)).toFixed(1)})`,
    );
    await nc.close();
    await handle.close();
  } finally {
    await nats.stop();
    await pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
