/**
 * Where an event's time goes between its producer's commit and its consumer's commit, on a private
 * PostgreSQL (fsync and synchronous_commit on) and nats-server.
 *
 *   npx tsx bench/consumer.ts [--seconds 8] [--rates 20,300] [--concurrency 1,4] [--busy 0,0.6]
 *
 * The producer (this process) commits `order.created` events to an outbox at a steady rate and runs
 * a relay; the consumer is tickets' own `orderCreatedConsumer` (reserve the ticket, write
 * `ticket.updated` to tickets' outbox) in an EventConsumer in a child process, as in the service.
 * `--busy F` keeps the consumer's event loop busy a fraction F of the time with other work (0.3 ms
 * slices), as HTTP requests do in a loaded tickets: every await of a message then waits its turn.
 * Each event is stamped at: commit (producer), on the bus (a core NATS subscription here, when the
 * relay's publish reaches the server), handler start and handled (after the consumer's commit and
 * ack) in the child. All stamps are wall-clock (performance.timeOrigin + now), on one machine.
 */
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import {
  connectNats,
  createDatabase,
  EventConsumer,
  migrateDatabase,
  outbox,
  OutboxRelay,
  requireStream,
  silentLogger,
  STREAM_NAME,
} from '@ticketing/common';
import { startLocalPostgres } from '@ticketing/common/local';
import { adminQuery, NATS_TEST_USER, startNatsServer } from '@ticketing/common/testing';

const TICKETS_MIGRATIONS = path.join(__dirname, '../tickets/src/db/migrations');
const TICKETS = 5_000;
const now = () => performance.timeOrigin + performance.now();

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

/** The child: tickets' order.created consumer, reporting `stamp <eventId> <handlerStart> <handled>`. */
async function consumerMain(): Promise<void> {
  // Loaded here, so the parent never loads tickets' code; `require`, as a dynamic `import()` of a path without its extension does not type-check under node16 resolution.
  const { orderCreatedConsumer } =
    require('../tickets/src/events/order-created-consumer') as typeof import('../tickets/src/events/order-created-consumer');
  const { db } = createDatabase(process.env.DATABASE_URL!, { max: 10, applicationName: 'tickets' });
  const nc = await connectNats({
    servers: process.env.NATS_URL!,
    user: process.env.NATS_USER,
    password: process.env.NATS_PASSWORD,
    logger: silentLogger(),
  });
  const started = new Map<string, number>();
  const consumer = new EventConsumer({
    service: 'tickets',
    definition: {
      ...orderCreatedConsumer,
      handle: (tx, event, ctx) => {
        started.set(event.id, now());
        return orderCreatedConsumer.handle(tx, event, ctx);
      },
    },
    nc,
    jsm: await requireStream(nc),
    db,
    logger: silentLogger(),
    concurrency: Number(process.env.CONCURRENCY),
  });
  consumer.events.on('handled', (e) => {
    process.stdout.write(`stamp ${e.id} ${started.get(e.id)} ${now()}\n`);
    started.delete(e.id);
  });
  // Other work sharing the event loop: 0.3 ms slices, a fraction BUSY of the time.
  const busy = Number(process.env.BUSY);
  if (busy > 0) {
    const slice = 0.3;
    const spin = () => {
      const until = performance.now() + slice;
      while (performance.now() < until);
      setTimeout(spin, (slice * (1 - busy)) / busy);
    };
    for (let i = 0; i < 4; i++) spin();
  }
  await consumer.start();
  process.stdout.write('ready\n');
}

function orderCreated(ticketId: string) {
  return {
    id: crypto.randomUUID(),
    version: 0,
    status: 'created' as const,
    userId: crypto.randomUUID(),
    expiresAt: new Date(Date.now() + 900_000).toISOString(),
    ticket: { id: ticketId, price: 10 },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '8'));
  const rates = arg('rates', '20,300').split(',').map(Number);
  const concurrencies = arg('concurrency', '1,4').split(',').map(Number);
  const busies = arg('busy', '0,0.6').split(',').map(Number);
  const pg = await startLocalPostgres({ durable: true, settings: { max_connections: 200 } });
  const nats = await startNatsServer();
  const nc = await nats.connect(NATS_TEST_USER);
  try {
    console.log(
      `rate/s  conc  busy  | commit→handled p50 / p99 ms | commit→bus p50 | bus→handler start p50 / p99 | handler start→handled p50 / p99 | n`,
    );
    for (const busy of busies) {
      for (const concurrency of concurrencies) {
        for (const rate of rates) {
          const row = await run(pg, nats, nc, { seconds, rate, concurrency, busy });
          console.log(row);
        }
      }
    }
  } finally {
    await nc.close();
    await nats.stop();
    await pg.stop();
  }
}

async function run(
  pg: Awaited<ReturnType<typeof startLocalPostgres>>,
  nats: Awaited<ReturnType<typeof startNatsServer>>,
  nc: Awaited<ReturnType<typeof connectNats>>,
  o: { seconds: number; rate: number; concurrency: number; busy: number },
): Promise<string> {
  const suffix = crypto.randomBytes(4).toString('hex');
  await adminQuery(pg.url(), `create database bench_orders_${suffix}`);
  await adminQuery(pg.url(), `create database bench_tickets_${suffix}`);
  const orders = createDatabase(pg.url(`bench_orders_${suffix}`), { max: 20, connectTimeoutMs: 60_000 });
  const tickets = createDatabase(pg.url(`bench_tickets_${suffix}`), { max: 4 });
  await migrateDatabase(orders.pool, orders.db);
  await migrateDatabase(tickets.pool, tickets.db, TICKETS_MIGRATIONS);
  const ticketIds = Array.from({ length: TICKETS }, () => crypto.randomUUID());
  await tickets.pool.query(
    `insert into tickets (id, title, price_cents, user_id) select id, 'Bench', 1000, $2 from unnest($1::uuid[]) as id`,
    [ticketIds, crypto.randomUUID()],
  );
  const jsm = await requireStream(nc);
  // A fresh durable per run: nothing left over from the last one.
  for (const c of await jsm.consumers.list(STREAM_NAME).next())
    await jsm.consumers.delete(STREAM_NAME, c.name);
  await jsm.streams.purge(STREAM_NAME);

  const child = spawn(process.execPath, ['--import', 'tsx', __filename], {
    env: {
      ...process.env,
      BENCH_ROLE: 'consumer',
      DATABASE_URL: pg.url(`bench_tickets_${suffix}`),
      ...nats.env(NATS_TEST_USER),
      CONCURRENCY: String(o.concurrency),
      BUSY: String(o.busy),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stamps = new Map<string, { start: number; handled: number }>();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  let buffer = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') ready();
      const [kind, id, start, handled] = line.split(' ');
      if (kind === 'stamp') stamps.set(id!, { start: Number(start), handled: Number(handled) });
    }
  });
  await isReady;

  const onBus = new Map<string, number>();
  const sub = nc.subscribe('order.created', {
    callback: (_err, m) => {
      onBus.set((m.json() as { id: string }).id, now());
    },
  });
  const relay = new OutboxRelay({ pool: orders.pool, js: jetstream(nc), logger: silentLogger() });
  await relay.start();

  // One event through first: the measured ones find the pull and the connections warm.
  const warmUp = await orders.db.transaction((tx) =>
    outbox.add(tx, 'order.created', orderCreated(ticketIds[TICKETS - 1]!)),
  );
  while (!stamps.has(warmUp.id)) await new Promise((r) => setTimeout(r, 20));
  stamps.delete(warmUp.id);

  const committed = new Map<string, number>();
  const total = Math.round(o.rate * o.seconds);
  const began = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = began + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      (async () => {
        const event = await orders.db.transaction((tx) =>
          outbox.add(tx, 'order.created', orderCreated(ticketIds[i % (TICKETS - 1)]!)),
        );
        committed.set(event.id, now());
      })(),
    );
  }
  await Promise.all(pending);
  const deadline = Date.now() + 60_000;
  while (stamps.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

  const total_: number[] = [];
  const toBus: number[] = [];
  const busToStart: number[] = [];
  const inHandler: number[] = [];
  for (const [id, c] of committed) {
    const s = stamps.get(id);
    const b = onBus.get(id);
    if (!s || b === undefined) continue;
    total_.push(s.handled - c);
    toBus.push(b - c);
    busToStart.push(s.start - b);
    inHandler.push(s.handled - s.start);
  }
  for (const a of [total_, toBus, busToStart, inHandler]) a.sort((x, y) => x - y);
  const f = (a: number[], p: number) => percentile(a, p).toFixed(1).padStart(6);

  sub.unsubscribe();
  await relay.stop();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  await orders.close();
  await tickets.close();
  return (
    `${String(o.rate).padStart(6)}  ${String(o.concurrency).padStart(4)}  ${o.busy.toFixed(1).padStart(4)}  |` +
    `      ${f(total_, 50)} / ${f(total_, 99)}       | ${f(toBus, 50)}         |` +
    `       ${f(busToStart, 50)} / ${f(busToStart, 99)}        |` +
    `          ${f(inHandler, 50)} / ${f(inHandler, 99)}          | ${total_.length}/${total}`
  );
}

(process.env.BENCH_ROLE === 'consumer' ? consumerMain() : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
