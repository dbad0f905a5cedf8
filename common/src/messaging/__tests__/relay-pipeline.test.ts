import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '../../testing/nats-server';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database';
import { waitFor } from '../../testing/wait-for';
import { OutboxRelay } from '../relay';
import {
  commitTicketEvents,
  connectWithStream,
  exactlyOnce,
  logger,
  newRelay,
  streamMessageIds,
} from './helpers';

let nats: NatsServerHandle;
let db: TestDatabase;
let nc: NatsConnection;
const relays: OutboxRelay[] = [];

beforeEach(async () => {
  nats = await startNatsServer();
  db = await createTestDatabase();
  ({ nc } = await connectWithStream(nats.url));
});

afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  await nc.close();
  await db.drop();
  await nats.stop();
});

async function unpublishedCount(): Promise<number> {
  const r = await db.pool.query<{ n: number }>(
    'select count(*)::int as n from outbox where published_at is null',
  );
  return r.rows[0]!.n;
}

/** A JetStream client that records the message id of every publish call, then publishes for real. */
function recordingClient(real: JetStreamClient, calls: string[]): JetStreamClient {
  return new Proxy(real, {
    get(target, key, receiver) {
      if (key !== 'publish') return Reflect.get(target, key, receiver) as unknown;
      return (subject: string, body: string, opts: { msgID: string }) => {
        calls.push(opts.msgID);
        return target.publish(subject, body, opts);
      };
    },
  });
}

describe('outbox relay with batches in flight', () => {
  it('puts a backlog on the stream in commit order, batch after batch', async () => {
    const ids = await commitTicketEvents(db.db, 1000, 250);
    const relay = newRelay(db, nc, { batchSize: 25, batchesInFlight: 4 });
    relays.push(relay);
    await relay.start();

    await waitFor(async () => (await unpublishedCount()) === 0, {
      timeoutMs: 60_000,
      what: 'outbox drained',
    });
    expect(await streamMessageIds(nc)).toEqual(ids);
  });

  it('sends each row once while 4 relays race for one backlog', async () => {
    const ids = await commitTicketEvents(db.db, 1200, 300);
    const calls: string[] = [];
    const connections = await Promise.all([1, 2, 3, 4].map(() => connectWithStream(nats.url)));
    for (const { nc: c } of connections) {
      relays.push(
        newRelay(db, c, { batchSize: 20, batchesInFlight: 3, js: recordingClient(jetstream(c), calls) }),
      );
    }
    await Promise.all(relays.map((r) => r.start()));

    await waitFor(async () => (await unpublishedCount()) === 0, {
      timeoutMs: 60_000,
      what: 'outbox drained',
    });
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await Promise.all(connections.map(({ nc: c }) => c.close()));
    // Publish calls, not stream messages: the stream would hide a row sent twice.
    expect(exactlyOnce(ids, calls)).toEqual({ missing: 0, duplicates: 0, extra: 0 });
  });

  it('lets another relay publish at once the rows of a relay whose connection died mid-batch', async () => {
    const ids = await commitTicketEvents(db.db, 20);
    // A relay stuck waiting for acks that do not come, its claim open.
    let releaseStuck!: () => void;
    const stuckUntil = new Promise<void>((resolve) => (releaseStuck = resolve));
    const stuck = new OutboxRelay({
      pool: db.pool,
      js: {
        publish: () => stuckUntil.then(() => Promise.reject(new Error('no ack'))),
      } as unknown as JetStreamClient,
      logger,
      pollIntervalMs: 200,
      // One batch at a time, so it cannot claim the rows again once they are released.
      batchesInFlight: 1,
    });
    relays.push(stuck);
    await stuck.start();
    const holder = await waitFor(
      async () =>
        (
          await db.pool.query<{ pid: number }>(
            `select pid from pg_stat_activity
              where datname = current_database() and state = 'idle in transaction'`,
          )
        ).rows[0],
      { what: 'the stuck relay holding its batch' },
    );

    // Its process dies (kill -9): PostgreSQL ends the session and releases the rows at once.
    await db.pool.query('select pg_terminate_backend($1)', [holder.pid]);
    const relay = newRelay(db, nc);
    relays.push(relay);
    await relay.start();

    await waitFor(async () => (await unpublishedCount()) === 0, {
      what: 'outbox drained by the other relay',
    });
    releaseStuck();
    expect(exactlyOnce(ids, await streamMessageIds(nc))).toEqual({ missing: 0, duplicates: 0, extra: 0 });
  });
});
