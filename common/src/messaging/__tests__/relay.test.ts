import { waitFor } from '../../testing/wait-for';
import { outbox } from '../outbox';
import { republishSince } from '../relay';
import {
  commitTicketEvents,
  connectWithStream,
  exactlyOnce,
  newRelay,
  streamMessageIds,
  ticketData,
} from './helpers';
import { useRelayFixture } from './relay-fixture';

const f = useRelayFixture();

describe('outbox relay', () => {
  it('publishes the events of a committed transaction to the stream exactly once', async () => {
    const ids = await commitTicketEvents(f.db.db, 50, 10);
    const relay = newRelay(f.db, f.nc);
    f.relays.push(relay);
    await relay.start();

    await waitFor(async () => (await f.unpublishedCount()) === 0, { what: 'outbox drained' });
    const onStream = await streamMessageIds(f.nc);
    expect(exactlyOnce(ids, onStream)).toEqual({ missing: 0, duplicates: 0, extra: 0 });
  });

  it('never publishes the events of a rolled-back transaction', async () => {
    await expect(
      f.db.db.transaction(async (tx) => {
        await outbox.add(tx, 'ticket.created', ticketData(1));
        throw new Error('business rule broken');
      }),
    ).rejects.toThrow('business rule broken');
    const [kept] = await commitTicketEvents(f.db.db, 1);
    const relay = newRelay(f.db, f.nc);
    f.relays.push(relay);
    await relay.start();

    await waitFor(async () => (await f.unpublishedCount()) === 0);
    expect(await streamMessageIds(f.nc)).toEqual([kept]);
    const rows = await f.db.pool.query('select count(*)::int as n from outbox');
    expect(rows.rows[0].n).toBe(1);
  });

  it('refuses an event whose payload breaks its contract, rolling back the transaction', async () => {
    await expect(
      f.db.db.transaction(async (tx) => {
        await outbox.add(tx, 'ticket.created', { ...ticketData(1), price: -5 });
      }),
    ).rejects.toThrow(/breaks its contract/);
    expect((await f.db.pool.query('select count(*)::int as n from outbox')).rows[0].n).toBe(0);
  });

  it('delivers all 1,000 events committed while nats-server is down, none twice, once it is back', async () => {
    const relay = newRelay(f.db, f.nc, { publishTimeoutMs: 500 });
    f.relays.push(relay);
    await relay.start();
    await f.nats.halt();

    const ids = await commitTicketEvents(f.db.db, 1000, 50);
    // The relay keeps trying while the server is away, recording attempts and the last error.
    await waitFor(
      async () =>
        (await f.db.pool.query('select count(*)::int as n from outbox where last_error is not null')).rows[0]
          .n > 0,
      { what: 'failed attempts recorded' },
    );
    await f.nats.restart();

    await waitFor(async () => (await f.unpublishedCount()) === 0, {
      timeoutMs: 60_000,
      what: 'outbox drained after restart',
    });
    expect(exactlyOnce(ids, await streamMessageIds(f.nc))).toEqual({ missing: 0, duplicates: 0, extra: 0 });
  });

  it('lets 4 relays drain 20,000 events together, every event on the stream exactly once', async () => {
    const ids = await commitTicketEvents(f.db.db, 20_000, 500);
    const connections = await Promise.all([1, 2, 3, 4].map(() => connectWithStream(f.nats.url)));
    const started = Date.now();
    for (const { nc: c } of connections) {
      const relay = newRelay(f.db, c, { batchSize: 250 });
      f.relays.push(relay);
      await relay.start();
    }
    await waitFor(async () => (await f.unpublishedCount()) === 0, {
      timeoutMs: 120_000,
      what: '20,000 drained',
    });
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`4 relays drained 20000 events in ${seconds.toFixed(1)} s\n`);
    await Promise.all(f.relays.splice(0).map((r) => r.stop()));
    await Promise.all(connections.map(({ nc: c }) => c.close()));

    expect(exactlyOnce(ids, await streamMessageIds(f.nc))).toEqual({ missing: 0, duplicates: 0, extra: 0 });
    // A hang guard, not a speed bar: on a slow, busy machine filling the outbox alone took minutes.
  }, 300_000);

  it('publishes a scheduled event no earlier than its time and within 1 s after it', async () => {
    const relay = newRelay(f.db, f.nc, { pollIntervalMs: 5_000 });
    f.relays.push(relay);
    await relay.start();
    const due = new Date(Date.now() + 1500);
    await f.db.db.transaction((tx) =>
      outbox.add(tx, 'expiration.complete', { orderId: ticketData(0).id }, { notBefore: due }),
    );

    const row = await waitFor(
      async () =>
        (await f.db.pool.query('select published_at from outbox where published_at is not null')).rows[0],
      { timeoutMs: 10_000, what: 'scheduled event published' },
    );
    const publishedAt = new Date(row.published_at).getTime();
    expect(publishedAt).toBeGreaterThanOrEqual(due.getTime());
    expect(publishedAt - due.getTime()).toBeLessThan(1000);
  });

  it('marks retained events for publishing again with republishSince', async () => {
    const ids = await commitTicketEvents(f.db.db, 5);
    const relay = newRelay(f.db, f.nc);
    f.relays.push(relay);
    await relay.start();
    await waitFor(async () => (await f.unpublishedCount()) === 0);
    expect(await republishSince(f.db.pool, new Date(Date.now() - 60_000))).toBe(5);
    await waitFor(async () => (await f.unpublishedCount()) === 0);
    const attempts = await f.db.pool.query('select attempts from outbox');
    expect(attempts.rows.every((r: { attempts: number }) => r.attempts === 2)).toBe(true);
    // Within the duplicate window the stream itself drops the repeats.
    expect(exactlyOnce(ids, await streamMessageIds(f.nc))).toEqual({ missing: 0, duplicates: 0, extra: 0 });
  });
});
