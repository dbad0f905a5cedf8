import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { createDatabase } from '../../db/database';
import { publishRaw, publishTestEvent } from '../../testing/events';
import { waitFor } from '../../testing/wait-for';
import { defineConsumer, durableName } from '../consumer';
import { STREAM_NAME } from '../nats';
import { shouldApplyVersion } from '../versioning';
import {
  appliedTo,
  countingConsumer,
  deliveriesTo,
  ticketUpdate,
  useConsumerTestBed,
} from './consumer-test-bed';
import { ticketData } from './helpers';

const bed = useConsumerTestBed();

/** Applies ticket.updated versions in order, remembering the order it applied them in. */
const versionedConsumer = defineConsumer('ticket.updated', async (tx, event) => {
  const { rows } = await tx.execute<{ version: number }>(
    sql`select version from replica where id = ${event.data.id} for update`,
  );
  if (!shouldApplyVersion(rows[0]?.version, event.data.version, 'replica')) return;
  await tx.execute(
    sql`insert into replica (id, version, applied) values (${event.data.id}, ${event.data.version}, array[${event.data.version}]::int[])
        on conflict (id) do update set version = excluded.version, applied = replica.applied || excluded.version`,
  );
});

const applied = (id: string) => appliedTo(bed.db, id);

describe('event consumer', () => {
  it('applies an event received 3 times exactly once', async () => {
    const tc = await bed.consume(countingConsumer);
    const data = ticketData(1);
    const envelope = {
      id: crypto.randomUUID(),
      subject: 'ticket.created',
      occurredAt: new Date().toISOString(),
      data,
    };
    const duplicates = Promise.all([tc.next('duplicate'), tc.next('duplicate')]);
    // Raw publishes bypass the stream's dedup, so the consumer itself must recognise the repeats.
    for (let i = 0; i < 3; i++) await publishRaw(bed.nc, 'ticket.created', JSON.stringify(envelope));

    await duplicates;
    expect(await applied(data.id)).toEqual([1]);
    const inbox = await bed.db.pool.query('select count(*)::int as n from inbox where event_id = $1', [
      envelope.id,
    ]);
    expect(inbox.rows[0].n).toBe(1);
  });

  it('recreates its durable consumer when the server has lost it, and handles the next event', async () => {
    const tc = await bed.consume(countingConsumer);
    const first = await publishTestEvent(bed.nc, 'ticket.created', ticketData(10));
    await tc.next('handled', first.id);

    // What a lost store (or an operator) does to it: the durable is gone from the server.
    const jsm = await jetstreamManager(bed.nc);
    await jsm.consumers.delete(STREAM_NAME, tc.consumer.durable);
    const second = await publishTestEvent(bed.nc, 'ticket.created', ticketData(11));

    await tc.next('handled', second.id, 30_000);
    expect(await applied(second.data.id)).toEqual([1]);
  });

  it('retries a handler that throws and applies the event once it succeeds', async () => {
    let calls = 0;
    const flaky = defineConsumer('ticket.created', async (tx, event, ctx) => {
      calls++;
      if (ctx.deliveryCount < 3) throw new Error('downstream hiccup');
      await countingConsumer.handle(tx, event, ctx);
    });
    const tc = await bed.consume(flaky);
    const event = await publishTestEvent(bed.nc, 'ticket.created', ticketData(2));

    await tc.next('handled', event.id);
    expect(calls).toBe(3);
    expect(await applied(event.data.id)).toEqual([1]);
  });

  it('retries a handler whose database stops answering mid-transaction, never dead-letters it, and applies it once', async () => {
    const bounded = createDatabase(bed.db.url, { connectTimeoutMs: 500, statementTimeoutMs: 500 });
    let stalled = 0;
    // Once continued, the process ends (its client has gone): continue it only once.
    const resume = () => {
      if (stalled) process.kill(stalled, 'SIGCONT');
      stalled = 0;
    };
    const stalling = defineConsumer('ticket.created', async (tx, event, ctx) => {
      if (ctx.deliveryCount === 1) {
        const { rows } = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
        stalled = rows[0]!.pid;
        // This transaction's server process freezes, as a stalled database would.
        process.kill(stalled, 'SIGSTOP');
      }
      await countingConsumer.handle(tx, event, ctx);
    });
    try {
      // One delivery allowed: a failure taken for the event's fault would be dead-lettered at once.
      const tc = await bed.consume(stalling, { db: bounded.db, maxDeliveries: 1 });
      const event = await publishTestEvent(bed.nc, 'ticket.created', ticketData(7));

      await tc.next('retry', event.id);
      resume();
      await tc.next('handled', event.id);
      expect(await applied(event.data.id)).toEqual([1]);
      const dead = await bed.db.pool.query('select count(*)::int as n from dead_letters');
      expect(dead.rows[0].n).toBe(0);
    } finally {
      resume();
      await bed.stopConsumers();
      await bounded.close();
    }
  });

  it('keeps an event whose handler runs longer than ack_wait from being redelivered meanwhile', async () => {
    const ackWaitMs = 1_000;
    const deliveryCounts: number[] = [];
    const slow = defineConsumer('ticket.created', async (tx, event, ctx) => {
      deliveryCounts.push(ctx.deliveryCount);
      await new Promise((r) => setTimeout(r, 3 * ackWaitMs));
      await countingConsumer.handle(tx, event, ctx);
    });
    const tc = await bed.consume(slow, { ackWaitMs });
    const event = await publishTestEvent(bed.nc, 'ticket.created', ticketData(8));

    await tc.next('handled', event.id);
    expect(deliveryCounts).toEqual([1]);
    expect(await deliveriesTo(bed.nc, tc.consumer.durable)).toBe(1);
    expect(await applied(event.data.id)).toEqual([1]);
  });

  it('dead-letters a schema-invalid event with the reason and still handles the next one', async () => {
    const tc = await bed.consume(countingConsumer);
    const badId = crypto.randomUUID();
    const bad = {
      id: badId,
      subject: 'ticket.created',
      occurredAt: new Date().toISOString(),
      data: { ...ticketData(3), price: 'free' },
    };
    const deadLettered = tc.next('dead-lettered', badId);
    await publishRaw(bed.nc, 'ticket.created', JSON.stringify(bad));
    await publishRaw(bed.nc, 'ticket.created', 'this is not json');
    const good = await publishTestEvent(bed.nc, 'ticket.created', ticketData(4));

    await deadLettered;
    await tc.next('handled', good.id);
    await waitFor(
      async () => (await bed.db.pool.query('select count(*)::int as n from dead_letters')).rows[0].n === 2,
    );
    const rows = await bed.db.pool.query(
      'select event_id, reason, payload, consumer from dead_letters order by id',
    );
    expect(rows.rows[0]).toMatchObject({ event_id: badId, consumer: 'svc:ticket.created' });
    expect(rows.rows[0].reason).toMatch(/payload fails its schema: \/price/);
    expect(rows.rows[1]).toMatchObject({
      event_id: null,
      reason: 'body is not JSON',
      payload: 'this is not json',
    });
    expect(await applied(good.data.id)).toEqual([1]);
  });

  it('skips a valid event of another subject that the server hands it, without dead-lettering it', async () => {
    // A durable whose filter was widened behind the consumer's back stands in for a server that
    // strays from the filter, as nats-server 2.9.10 did after its stream leader was cut off and healed.
    const jsm = await jetstreamManager(bed.nc);
    await jsm.consumers.add(STREAM_NAME, {
      durable_name: durableName('svc', 'ticket.created'),
      ack_policy: AckPolicy.Explicit,
      filter_subject: 'ticket.>',
    });
    const tc = await bed.consume(countingConsumer);
    const skipped = tc.next('misdelivered');
    const stray = await publishTestEvent(bed.nc, 'ticket.updated', {
      ...ticketData(5, { version: 1 }),
      orderId: null,
    });
    const good = await publishTestEvent(bed.nc, 'ticket.created', ticketData(6));

    expect(await skipped).toMatchObject({ eventId: stray.id, subject: 'ticket.updated' });
    await tc.next('handled', good.id);
    const dead = await bed.db.pool.query('select count(*)::int as n from dead_letters');
    expect(dead.rows[0].n).toBe(0);
    const kept = await bed.db.pool.query('select event_id from inbox');
    expect(kept.rows).toEqual([{ event_id: good.id }]);
  });

  it('dead-letters an event whose handler keeps failing after the delivery limit, and goes on', async () => {
    const doomed = crypto.randomUUID();
    const picky = defineConsumer('ticket.created', async (tx, event, ctx) => {
      if (event.data.id === doomed) throw new Error('cannot apply this one');
      await countingConsumer.handle(tx, event, ctx);
    });
    const tc = await bed.consume(picky, { maxDeliveries: 3 });
    const poison = await publishTestEvent(bed.nc, 'ticket.created', ticketData(5, { id: doomed }));
    const next = await publishTestEvent(bed.nc, 'ticket.created', ticketData(6));

    await tc.next('handled', next.id);
    await tc.next('dead-lettered', poison.id);
    const rows = await bed.db.pool.query('select reason, deliveries from dead_letters');
    expect(rows.rows).toEqual([
      { reason: 'failed after 3 deliveries: Error: cannot apply this one', deliveries: 3 },
    ]);
  });

  it('applies versions 0 to 9 of one record delivered shuffled in version order', async () => {
    const tc = await bed.consume(versionedConsumer);
    const id = crypto.randomUUID();
    const versions = [7, 2, 9, 0, 5, 1, 8, 3, 6, 4];
    const last = versions.map(() => '');
    for (const v of versions) {
      const e = await publishTestEvent(bed.nc, 'ticket.updated', ticketUpdate(id, v));
      last[v] = e.id;
    }

    await waitFor(async () => (await applied(id)).length === 10, {
      timeoutMs: 30_000,
      what: 'all versions applied',
    });
    expect(await applied(id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(tc.consumer.durable).toBe('svc_ticket-updated');
  });

  it('splits messages between two instances sharing one durable consumer, applying each exactly once', async () => {
    const seenBy = new Map<string, string[]>();
    const instances = await Promise.all(
      ['a', 'b'].map((name) =>
        bed.consume(
          defineConsumer('ticket.created', async (tx, event, ctx) => {
            seenBy.set(name, [...(seenBy.get(name) ?? []), event.id]);
            await new Promise((r) => setTimeout(r, 5)); // long enough for the other instance to pull too
            await countingConsumer.handle(tx, event, ctx);
          }),
        ),
      ),
    );
    expect(instances[0]!.consumer.durable).toBe(instances[1]!.consumer.durable);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++)
      ids.push((await publishTestEvent(bed.nc, 'ticket.created', ticketData(i))).data.id);

    await waitFor(
      async () => (await bed.db.pool.query('select count(*)::int as n from replica')).rows[0].n === 200,
      {
        timeoutMs: 30_000,
      },
    );
    const rows = await bed.db.pool.query<{ applied: number[] }>('select applied from replica');
    expect(rows.rows.every((r) => r.applied.length === 1)).toBe(true);
    expect(seenBy.get('a')!.length).toBeGreaterThan(0);
    expect(seenBy.get('b')!.length).toBeGreaterThan(0);
  });
});
