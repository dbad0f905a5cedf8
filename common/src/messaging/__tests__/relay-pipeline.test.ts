import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
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
import { useRelayFixture } from './relay-fixture';

const f = useRelayFixture();

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
    const ids = await commitTicketEvents(f.db.db, 1000, 250);
    const relay = newRelay(f.db, f.nc, { batchSize: 25, batchesInFlight: 4 });
    f.relays.push(relay);
    await relay.start();

    await waitFor(async () => (await f.unpublishedCount()) === 0, {
      timeoutMs: 60_000,
      what: 'outbox drained',
    });
    expect(await streamMessageIds(f.nc)).toEqual(ids);
  });

  it('sends each row once while 4 relays race for one backlog', async () => {
    const ids = await commitTicketEvents(f.db.db, 1200, 300);
    const calls: string[] = [];
    const connections = await Promise.all([1, 2, 3, 4].map(() => connectWithStream(f.nats.url)));
    for (const { nc: c } of connections) {
      f.relays.push(
        newRelay(f.db, c, { batchSize: 20, batchesInFlight: 3, js: recordingClient(jetstream(c), calls) }),
      );
    }
    await Promise.all(f.relays.map((r) => r.start()));

    await waitFor(async () => (await f.unpublishedCount()) === 0, {
      timeoutMs: 60_000,
      what: 'outbox drained',
    });
    await Promise.all(f.relays.splice(0).map((r) => r.stop()));
    await Promise.all(connections.map(({ nc: c }) => c.close()));
    // Publish calls, not stream messages: the stream would hide a row sent twice.
    expect(exactlyOnce(ids, calls)).toEqual({ missing: 0, duplicates: 0, extra: 0 });
  });

  it('lets another relay publish at once the rows of a relay whose connection died mid-batch', async () => {
    const ids = await commitTicketEvents(f.db.db, 20);
    // A relay stuck waiting for acks that do not come, its claim open.
    let releaseStuck!: () => void;
    const stuckUntil = new Promise<void>((resolve) => (releaseStuck = resolve));
    const stuck = new OutboxRelay({
      pool: f.db.pool,
      js: {
        publish: () => stuckUntil.then(() => Promise.reject(new Error('no ack'))),
      } as unknown as JetStreamClient,
      logger,
      pollIntervalMs: 200,
      // One batch at a time, so it cannot claim the rows again once they are released.
      batchesInFlight: 1,
    });
    f.relays.push(stuck);
    await stuck.start();
    const holder = await waitFor(
      async () =>
        (
          await f.db.pool.query<{ pid: number }>(
            `select pid from pg_stat_activity
              where datname = current_database() and state = 'idle in transaction'`,
          )
        ).rows[0],
      { what: 'the stuck relay holding its batch' },
    );

    // Its process dies (kill -9): PostgreSQL ends the session and releases the rows at once.
    await f.db.pool.query('select pg_terminate_backend($1)', [holder.pid]);
    const relay = newRelay(f.db, f.nc);
    f.relays.push(relay);
    await relay.start();

    await waitFor(async () => (await f.unpublishedCount()) === 0, {
      what: 'outbox drained by the other relay',
    });
    releaseStuck();
    expect(exactlyOnce(ids, await streamMessageIds(f.nc))).toEqual({ missing: 0, duplicates: 0, extra: 0 });
  });
});
