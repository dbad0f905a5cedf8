import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAM_NAME } from '../nats';
import { startNatsServer, type NatsServerHandle } from '../../testing/nats-server';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database';
import { startTestConsumer } from '../../testing/events';
import { waitFor } from '../../testing/wait-for';
import { defineConsumer } from '../consumer';
import { commitTicketEvents, connectWithStream, exactlyOnce, newRelay, streamMessageIds } from './helpers';

let nats: NatsServerHandle;
let db: TestDatabase;
let nc: NatsConnection;
/** The relay process of the test: killed here too, or a test that timed out would leave jest hanging on it. */
let child: ChildProcess | undefined;

beforeAll(async () => {
  nats = await startNatsServer();
  db = await createTestDatabase();
  ({ nc } = await connectWithStream(nats.url));
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await nc.close();
  await db.drop();
  await nats.stop();
});

describe('a relay process killed mid-batch', () => {
  it('loses no event, and whatever it re-sends is dropped by the stream or the inbox', async () => {
    const ids = await commitTicketEvents(db.db, 6000, 500);
    const relayProcess = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'fixtures/relay-process.ts')],
      {
        env: { ...process.env, DATABASE_URL: db.url, ...nats.env('tickets'), BATCH_SIZE: '1000' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    child = relayProcess;
    let batches = 0;
    relayProcess.stdout.on(
      'data',
      (d: Buffer) => (batches += (d.toString().match(/^batch [1-9]/gm) ?? []).length),
    );
    await waitFor(() => batches >= 1, { timeoutMs: 30_000, what: 'a first batch' });
    // Kill it while a batch is on the stream but not yet marked published: the worst moment.
    const jsm = await jetstreamManager(nc);
    await waitFor(
      async () => {
        const onStream = (await jsm.streams.info(STREAM_NAME)).state.messages;
        const marked = (
          await db.pool.query('select count(*)::int as n from outbox where published_at is not null')
        ).rows[0].n;
        return onStream > marked;
      },
      { timeoutMs: 30_000, intervalMs: 5, what: 'a batch in flight' },
    );
    const exited = new Promise((r) => relayProcess.once('exit', r));
    relayProcess.kill('SIGKILL');
    await exited;
    const left = (await db.pool.query('select count(*)::int as n from outbox where published_at is null'))
      .rows[0].n;
    expect(left).toBeGreaterThan(0); // killed with work in hand

    const handled = new Set<string>();
    const tc = await startTestConsumer(
      defineConsumer('ticket.created', async (_tx, event) => {
        handled.add(event.id);
      }),
      { service: 'svc', natsUrl: nats.url, db: db.db, concurrency: 8 },
    );
    const relay = newRelay(db, nc, { batchSize: 1000 });
    await relay.start();
    await waitFor(
      async () =>
        (await db.pool.query('select count(*)::int as n from outbox where published_at is null')).rows[0]
          .n === 0,
      {
        timeoutMs: 60_000,
      },
    );
    await waitFor(() => handled.size === ids.length, { timeoutMs: 60_000, what: 'every event handled' });
    await relay.stop();
    await tc.stop();

    expect(exactlyOnce(ids, await streamMessageIds(nc))).toEqual({ missing: 0, duplicates: 0, extra: 0 });
    const inbox = await db.pool.query(
      'select count(*)::int as n, count(distinct event_id)::int as d from inbox',
    );
    expect(inbox.rows[0]).toEqual({ n: ids.length, d: ids.length });
    // A hang guard above the waits' own timeouts (30 + 30 + 60 + 60 s) on a slow, busy machine.
  }, 240_000);
});
