/**
 * Benchmark of the messaging core, on a private PostgreSQL (fsync and synchronous_commit on, as
 * in production) and a private nats-server.
 *
 *   npm run build -w @ticketing/common && npx tsx bench/relay.ts [--events 10000] [--rounds 5] [--in-flight 2]
 *     [--rate 1000] [--seconds 10] [--per-tx 2] [--consumer-concurrency 8]
 *
 * Figures are ratios against a baseline taken in the same round on the same servers, so the
 * machine's other load weighs on both:
 * - drain: events/s drained from a backlog of `--events` outbox rows by 1 and by 4 relays, vs.
 *   plain JetStream publishes of the same messages (one connection, 250 in flight, with message
 *   ids, no database). Relays and baseline connect alike, with common's connectNats.
 *   Completion is counted from the relays' `onBatch` reports, so measuring costs the database nothing.
 *   Beside each rate, the CPU per event of this process, PostgreSQL (its whole tree) and
 *   nats-server over the drain alone: on 2 shared cores, their sum is what bounds the rate.
 * - latency under load: a producer commits outbox rows at `--rate` events/s (open loop, `--per-tx`
 *   events per transaction) into one database; one relay publishes them; a consumer of another
 *   database, run by common's consumer machinery in a process of its own (as a consuming service's
 *   is), records when each event's handler starts. The figure is commit-to-handler p50/p99 (the
 *   bar: p99 <= 15 ms at 1,000 events/s).
 * - latency alone: one event at a time, vs. a bare JetStream publish-to-handler round trip.
 */
import crypto from 'node:crypto';
import { once } from 'node:events';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  connectNats,
  createDatabase,
  EventConsumer,
  messagingTables,
  defineConsumer,
  migrateDatabase,
  outbox,
  OutboxRelay,
  silentLogger,
  STREAM_NAME,
  type DatabaseHandle,
} from '@ticketing/common';
import { startLocalPostgres } from '@ticketing/common/local';
import {
  NATS_TEST_USER,
  startNatsServer,
  startTestConsumer,
  type NatsServerHandle,
} from '@ticketing/common/testing';
import { startCpuWindow, type MeteredProcess } from '../system/src/cpu';
import { spawnTsxChild } from './tsx-child';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EVENTS = arg('--events', 10_000);
/** The relay's batches in flight (`batchesInFlight`); omit for its default. */
const IN_FLIGHT = args.includes('--in-flight') ? arg('--in-flight', 2) : undefined;
const ROUNDS = arg('--rounds', 5);
const RATE = arg('--rate', 1000);
const SECONDS = arg('--seconds', 10);
const PER_TX = arg('--per-tx', 2);
const CONSUMER_CONCURRENCY = arg('--consumer-concurrency', 8);
const BATCH_SIZE = 250;
const IDLE_SAMPLES = 200;
const logger = silentLogger();

function data(i: number) {
  return { id: crypto.randomUUID(), version: 0, title: `T${i}`, price: 10, userId: crypto.randomUUID() };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A drain's or the baseline's rate, and the CPU each process spent per event while it ran. */
interface Drained {
  rate: number;
  /** CPU microseconds per event, by process (this process, PostgreSQL's tree, nats-server). */
  cpuUs: Record<string, number>;
}

/**
 * The processes whose CPU the drain figures count: this one (the relays, or the baseline's
 * publisher), PostgreSQL with its backends, and nats-server. On 2 cores their sum per event is
 * what bounds a rate; the filling of the outbox before the clock starts is not counted.
 */
let metered: MeteredProcess[] = [];

/** Starts counting CPU and time; the returned function ends both and gives the figures for EVENTS events. */
function measureDrain(): () => Drained {
  const window = startCpuWindow(metered);
  const started = performance.now();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const used = window.end();
    return {
      rate: EVENTS / seconds,
      cpuUs: Object.fromEntries(used.rows.map((row) => [row.name, (row.seconds * 1e6) / EVENTS])),
    };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => n.toFixed(1);

/** Commits `count` outbox rows as `outbox.add` would write them, 1,000 to an INSERT (the backlog is not what is measured). */
async function fill(db: DatabaseHandle, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const rows = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) {
      const at = new Date();
      rows.push({
        id: crypto.randomUUID(),
        subject: 'ticket.created',
        data: data(j),
        occurredAt: at,
        notBefore: at,
      });
    }
    await db.db.insert(messagingTables.outbox).values(rows);
  }
}

/**
 * A connection as a service's relay has one: common's connectNats (its client options), as the
 * service that publishes ticket.created. The baseline and the relays use the same.
 */
function connectAsService(nats: NatsServerHandle): Promise<NatsConnection> {
  const { user, password } = nats.credentials('tickets');
  return connectNats({ servers: nats.url, logger, user, password });
}

/**
 * Events/s of plain JetStream publishes on one connection, 250 in flight at a time (a relay
 * batch's worth, awaited together), each with a message id.
 */
async function baseline(nats: NatsServerHandle): Promise<Drained> {
  const admin = await nats.connect();
  await (await jetstreamManager(admin)).streams.purge(STREAM_NAME);
  await admin.close();
  const nc = await connectAsService(nats);
  const js = jetstream(nc);
  const finish = measureDrain();
  for (let i = 0; i < EVENTS; i += BATCH_SIZE) {
    const batch = [];
    for (let j = i; j < Math.min(EVENTS, i + BATCH_SIZE); j++) {
      const id = crypto.randomUUID();
      batch.push(js.publish('ticket.created', JSON.stringify({ id, data: data(j) }), { msgID: id }));
    }
    await Promise.all(batch);
  }
  const drained = finish();
  await nc.close();
  return drained;
}

/** Events/s at which `relays` relays (each with its own connection) drain a backlog of EVENTS rows. */
async function drain(nats: NatsServerHandle, db: DatabaseHandle, relays: number): Promise<Drained> {
  const admin = await nats.connect();
  await (await jetstreamManager(admin)).streams.purge(STREAM_NAME);
  await admin.close();
  await db.pool.query('delete from outbox');
  await db.pool.query('vacuum analyze outbox');
  await fill(db, EVENTS);
  const conns: NatsConnection[] = await Promise.all(
    Array.from({ length: relays }, () => connectAsService(nats)),
  );
  let published = 0;
  let done!: () => void;
  const drained = new Promise<void>((r) => (done = r));
  const rs = conns.map(
    (c) =>
      new OutboxRelay({
        pool: db.pool,
        js: jetstream(c),
        logger,
        batchSize: BATCH_SIZE,
        batchesInFlight: IN_FLIGHT,
        onBatch: (r) => {
          published += r.published;
          if (published >= EVENTS) done();
        },
      }),
  );
  const finish = measureDrain();
  await Promise.all(rs.map((r) => r.start()));
  await drained;
  const result = finish();
  await Promise.all(rs.map((r) => r.stop()));
  await Promise.all(conns.map((c) => c.close()));
  const left = (await db.pool.query('select count(*)::int as n from outbox where published_at is null'))
    .rows[0].n;
  if (left !== 0) throw new Error(`${left} rows left unpublished`);
  return result;
}

/**
 * Commit-to-handler latencies (ms) of events committed at RATE/s for SECONDS (the first second
 * is warm-up), through one relay and a consumer with CONSUMER_CONCURRENCY.
 */
async function latencyUnderLoad(
  nats: NatsServerHandle,
  producer: DatabaseHandle,
  consumerDbUrl: string,
): Promise<{ latencies: number[]; achievedRate: number }> {
  const admin = await nats.connect();
  await (await jetstreamManager(admin)).streams.purge(STREAM_NAME);
  await admin.close();
  await producer.pool.query('delete from outbox');
  await producer.pool.query('vacuum analyze outbox');
  const nc = await connectAsService(nats);
  const relay = new OutboxRelay({
    pool: producer.pool,
    js: jetstream(nc),
    logger,
    batchSize: BATCH_SIZE,
    batchesInFlight: IN_FLIGHT,
  });
  await relay.start();
  const consumer = await startConsumerProcess(nats, consumerDbUrl);
  const handledAt = consumer.handledAt;
  const committedAt = new Map<string, number>();
  const total = RATE * SECONDS;
  const transactions: Promise<void>[] = [];
  const started = now();
  let issued = 0;
  // Open loop: every 5 ms, start the transactions whose intended time has come, without waiting
  // for earlier ones to commit.
  while (issued < total) {
    const due = Math.min(total, Math.floor(((now() - started) / 1000) * RATE));
    for (; issued < due; issued += PER_TX) {
      const n = issued;
      transactions.push(
        producer.db
          .transaction(async (tx) => {
            const ids: string[] = [];
            for (let k = 0; k < PER_TX; k++)
              ids.push((await outbox.add(tx, 'ticket.created', data(n + k))).id);
            return ids;
          })
          .then((ids) => {
            const at = now();
            for (const id of ids) committedAt.set(id, at);
          }),
      );
    }
    await sleep(5);
  }
  await Promise.all(transactions);
  const achievedRate = total / ((now() - started) / 1000);
  const deadline = Date.now() + 60_000;
  while (handledAt.size < committedAt.size && Date.now() < deadline) await sleep(20);
  await consumer.stop();
  await relay.stop();
  await nc.close();
  const warmUpEnd = started + 1000;
  const latencies: number[] = [];
  for (const [id, at] of committedAt) {
    const handled = handledAt.get(id);
    if (handled === undefined) throw new Error(`event ${id} was never handled`);
    if (at >= warmUpEnd) latencies.push(handled - at);
  }
  return { latencies: latencies.sort((a, b) => a - b), achievedRate };
}

/** Milliseconds on a clock every process of this machine shares (the bench's and its consumer's). */
const now = () => performance.timeOrigin + performance.now();

/**
 * Starts the consumer of the latency under load in a process of its own, as a service's consumer
 * runs apart from the relay of the service that publishes: sharing this process's one thread with
 * the producer and the relay, it measured that thread's queue more than the path. The child
 * reports when each handler started (`now()`) every 50 ms.
 */
async function startConsumerProcess(
  nats: NatsServerHandle,
  databaseUrl: string,
): Promise<{ handledAt: Map<string, number>; stop(): Promise<void> }> {
  const { user, password } = nats.credentials(NATS_TEST_USER);
  const child = spawnTsxChild(__filename, [CONSUMER_CHILD], {
    BENCH_NATS_URL: nats.url,
    BENCH_NATS_USER: user,
    BENCH_NATS_PASSWORD: password,
    BENCH_DATABASE_URL: databaseUrl,
    BENCH_CONSUMER_CONCURRENCY: String(CONSUMER_CONCURRENCY),
  });
  const handledAt = new Map<string, number>();
  const exited = once(child, 'exit');
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: 'ready' | [string, number][]) => {
      if (m === 'ready') resolve();
      else for (const [id, at] of m) if (!handledAt.has(id)) handledAt.set(id, at);
    });
    void exited.then(([code]) =>
      reject(new Error(`the bench's consumer exited ${code} before it was ready`)),
    );
  });
  await ready;
  return {
    handledAt,
    async stop() {
      child.send('stop');
      await exited;
    },
  };
}

const CONSUMER_CHILD = '--consumer-child';

/** The child of `startConsumerProcess`: common's consumer machinery, its inbox in its own database. */
async function consumerChild(): Promise<void> {
  const nc = await connectNats({
    servers: process.env.BENCH_NATS_URL!,
    logger,
    user: process.env.BENCH_NATS_USER!,
    password: process.env.BENCH_NATS_PASSWORD!,
  });
  const db = createDatabase(process.env.BENCH_DATABASE_URL!, { max: 20 });
  let handled: [string, number][] = [];
  const consumer = new EventConsumer({
    service: 'bench',
    definition: defineConsumer(
      'ticket.created',
      async (_tx, event) => {
        handled.push([event.id, now()]);
      },
      { name: 'load' },
    ),
    nc,
    jsm: await jetstreamManager(nc),
    db: db.db,
    logger,
    concurrency: Number(process.env.BENCH_CONSUMER_CONCURRENCY),
  });
  await consumer.start();
  const report = () => {
    if (handled.length === 0) return;
    process.send!(handled);
    handled = [];
  };
  const timer = setInterval(report, 50);
  process.send!('ready');
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  await consumer.stop();
  clearInterval(timer);
  report();
  await nc.close();
  await db.close();
  process.disconnect();
}

/** Commit-to-handler latencies of one event at a time, and the bare JetStream publish-to-handler ones. */
async function latencyAlone(
  nats: NatsServerHandle,
  producer: DatabaseHandle,
  consumerDb: DatabaseHandle,
): Promise<{ latencies: number[]; bare: number[] }> {
  const nc = await nats.connect();
  // A new durable starts at the stream's beginning: nothing earlier may be queued before the samples.
  await (await jetstreamManager(nc)).streams.purge(STREAM_NAME);
  const relay = new OutboxRelay({ pool: producer.pool, js: jetstream(nc), logger });
  await relay.start();
  const handledAt = new Map<string, number>();
  const latencies: number[] = [];
  const tc = await startTestConsumer(
    defineConsumer('ticket.created', async (_tx, event) => {
      handledAt.set(event.id, performance.now());
    }),
    { service: 'bench', natsUrl: nats.url, db: consumerDb.db },
  );
  for (let i = 0; i < IDLE_SAMPLES; i++) {
    const event = await producer.db.transaction((tx) => outbox.add(tx, 'ticket.created', data(i)));
    const committed = performance.now();
    await tc.next('handled', event.id);
    latencies.push(handledAt.get(event.id)! - committed);
  }
  await tc.stop();
  await relay.stop();

  // A bare JetStream publish to a bare pull consumer: no outbox, no relay, no inbox.
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const bare: number[] = [];
  const info = await jsm.consumers.add(STREAM_NAME, {
    durable_name: 'bench_bare',
    filter_subject: 'ticket.updated',
    ack_policy: 'explicit' as never,
  });
  const messages = await (await js.consumers.get(STREAM_NAME, info.name)).consume();
  const iterator = messages[Symbol.asyncIterator]();
  for (let i = 0; i < IDLE_SAMPLES; i++) {
    const t0 = performance.now();
    await js.publish('ticket.updated', '{}');
    const m = await iterator.next();
    m.value.ack();
    bare.push(performance.now() - t0);
  }
  messages.stop();
  await nc.close();
  return { latencies: latencies.sort((a, b) => a - b), bare: bare.sort((a, b) => a - b) };
}

async function main() {
  const pg = await startLocalPostgres({
    durable: true,
    settings: { max_connections: 200, shared_buffers: '128MB' },
    databases: ['bench_producer_test', 'bench_consumer_test'],
  });
  const nats = await startNatsServer();
  metered = [
    { name: 'this process', pid: () => process.pid },
    { name: 'PostgreSQL', pid: () => pg.pid() ?? -1, tree: true },
    { name: 'nats-server', pid: () => nats.pid() ?? -1 },
  ];
  try {
    // The open-loop producer may queue for a connection on a busy machine: it waits rather than fails.
    const producer = createDatabase(pg.url('bench_producer_test'), { max: 20, connectTimeoutMs: 120_000 });
    const consumerDb = createDatabase(pg.url('bench_consumer_test'), { max: 20 });
    await migrateDatabase(producer.pool, producer.db);
    await migrateDatabase(consumerDb.pool, consumerDb.db);
    const settings = await producer.pool.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings where name in ('fsync', 'synchronous_commit')`,
    );
    console.log(
      `events: ${EVENTS}, rounds: ${ROUNDS}, batches in flight: ${IN_FLIGHT ?? 'default'}; postgres ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(' ')}`,
    );

    // Warm-up (JIT, caches, the stream's first blocks), not counted.
    await baseline(nats);
    await drain(nats, producer, 1);
    const ratios = { one: [] as number[], four: [] as number[] };
    const runs = { baseline: [] as Drained[], '1 relay': [] as Drained[], '4 relays': [] as Drained[] };
    for (let round = 1; round <= ROUNDS; round++) {
      // The baseline runs between the two relay figures, so a drift in the machine's load
      // during a round weighs on both sides alike.
      const one = await drain(nats, producer, 1);
      const raw = await baseline(nats);
      const four = await drain(nats, producer, 4);
      ratios.one.push(one.rate / raw.rate);
      ratios.four.push(four.rate / raw.rate);
      runs.baseline.push(raw);
      runs['1 relay'].push(one);
      runs['4 relays'].push(four);
      console.log(
        `round ${round}: baseline ${Math.round(raw.rate)} msg/s; 1 relay ${Math.round(one.rate)}/s (${(one.rate / raw.rate).toFixed(2)} x); ` +
          `4 relays ${Math.round(four.rate)}/s (${(four.rate / raw.rate).toFixed(2)} x)`,
      );
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `drain, median of ${ROUNDS} rounds: 1 relay ${median(ratios.one).toFixed(2)} x baseline, 4 relays ${median(ratios.four).toFixed(2)} x`,
    );
    // Where each event's CPU went (medians over the rounds): with every process on the same 2
    // cores, the sum is what the rate can be at most (2 s of CPU per second).
    for (const [label, list] of Object.entries(runs)) {
      const perProcess = metered.map(
        (m) => `${m.name} ${median(list.map((d) => d.cpuUs[m.name] ?? 0)).toFixed(0)}`,
      );
      const total = median(list.map((d) => Object.values(d.cpuUs).reduce((a, v) => a + v, 0)));
      console.log(`CPU per event (us), ${label}: ${perProcess.join(', ')}; all ${total.toFixed(0)}`);
    }

    const load = await latencyUnderLoad(nats, producer, pg.url('bench_consumer_test'));
    console.log(
      `commit-to-handler at ${RATE} events/s (${PER_TX}/transaction, achieved ${Math.round(load.achievedRate)}/s, ` +
        `${load.latencies.length} samples): p50 ${fmt(percentile(load.latencies, 50))} ms, ` +
        `p99 ${fmt(percentile(load.latencies, 99))} ms, max ${fmt(load.latencies.at(-1)!)} ms`,
    );

    const alone = await latencyAlone(nats, producer, consumerDb);
    console.log(
      `commit-to-handler alone: p50 ${fmt(percentile(alone.latencies, 50))} ms, p99 ${fmt(percentile(alone.latencies, 99))} ms ` +
        `(bare publish-to-handler p50 ${fmt(percentile(alone.bare, 50))} ms, p99 ${fmt(percentile(alone.bare, 99))} ms)`,
    );
    await producer.close();
    await consumerDb.close();
  } finally {
    await nats.stop();
    await pg.stop();
  }
}

(process.argv.includes(CONSUMER_CHILD) ? consumerChild() : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
