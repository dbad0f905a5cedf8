import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { publishTestEvent } from '../../testing/events';
import { NATS_TEST_USER } from '../../testing/nats-server';
import { waitFor } from '../../testing/wait-for';
import { defineConsumer } from '../consumer';
import {
  appliedTo,
  countingConsumer,
  deliveriesTo,
  ticketUpdate,
  useConsumerTestBed,
} from './consumer-test-bed';
import { recordApplication } from './fixtures/replica';
import { ticketData } from './helpers';

const bed = useConsumerTestBed();

/** Counts the handlers running at once, overall and per ticket. */
function overlapRecorder() {
  const active = new Map<string, number>();
  let now = 0;
  const seen = { most: 0, mostForOneKey: 0 };
  return {
    seen,
    async around(key: string, work: () => Promise<void>) {
      now++;
      active.set(key, (active.get(key) ?? 0) + 1);
      seen.most = Math.max(seen.most, now);
      seen.mostForOneKey = Math.max(seen.mostForOneKey, active.get(key)!);
      try {
        await work();
      } finally {
        now--;
        active.set(key, active.get(key)! - 1);
      }
    },
  };
}

describe('an event consumer handling several messages at once', () => {
  it('handles as many events at once as its concurrency allows, and no more', async () => {
    const recorder = overlapRecorder();
    let released!: () => void;
    const gate = new Promise<void>((r) => (released = r));
    const tc = await bed.consume(
      defineConsumer('ticket.created', (tx, event) =>
        recorder.around(event.data.id, async () => {
          // Held until four run at once: a consumer that handled one at a time would never get there.
          if (recorder.seen.most >= 4) released();
          await Promise.race([gate, new Promise((r) => setTimeout(r, 10_000))]);
          await tx.execute(
            sql`insert into replica (id, version, applied) values (${event.data.id}, 0, '{1}')`,
          );
        }),
      ),
      { concurrency: 4 },
    );
    const events = [];
    for (let i = 0; i < 12; i++) events.push(await publishTestEvent(bed.nc, 'ticket.created', ticketData(i)));

    for (const e of events) await tc.next('handled', e.id);
    expect(recorder.seen.most).toBe(4);
    const rows = await bed.db.pool.query('select count(*)::int as n from replica');
    expect(rows.rows[0].n).toBe(12);
  });

  it('never handles two events about one ticket at once, and applies them in stream order', async () => {
    const recorder = overlapRecorder();
    const tc = await bed.consume(
      defineConsumer('ticket.updated', (tx, event) =>
        recorder.around(event.data.id, async () => {
          await new Promise((r) => setTimeout(r, 2));
          await tx.execute(
            sql`insert into replica (id, version, applied) values (${event.data.id}, ${event.data.version}, array[${event.data.version}]::int[])
                  on conflict (id) do update set version = excluded.version, applied = replica.applied || excluded.version`,
          );
        }),
      ),
      { concurrency: 8 },
    );
    const tickets = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const ids: string[] = [];
    // Interleaved: every ticket's next version is right behind the others' on the stream.
    for (let v = 0; v < 20; v++) {
      for (const id of tickets) {
        const e = await publishTestEvent(bed.nc, 'ticket.updated', ticketUpdate(id, v));
        ids.push(e.id);
      }
    }

    for (const id of ids) await tc.next('handled', id);
    expect(recorder.seen.mostForOneKey).toBe(1);
    expect(recorder.seen.most).toBeGreaterThan(1);
    const versions = Array.from({ length: 20 }, (_, v) => v);
    for (const id of tickets) {
      const r = await bed.db.pool.query<{ applied: number[] }>('select applied from replica where id = $1', [
        id,
      ]);
      expect(r.rows[0]!.applied).toEqual(versions);
    }
  });

  it('keeps an event waiting behind a slower one about the same ticket from being redelivered, however long it waits', async () => {
    const ackWaitMs = 1_000;
    const deliveries: { version: number; deliveryCount: number }[] = [];
    const tc = await bed.consume(
      defineConsumer('ticket.updated', async (tx, event, ctx) => {
        deliveries.push({ version: event.data.version, deliveryCount: ctx.deliveryCount });
        // The first version holds the ticket's turn for three ack_waits; the second waits all that time.
        if (event.data.version === 0) await new Promise((r) => setTimeout(r, 3 * ackWaitMs));
        await recordApplication(tx, event.data.id);
      }),
      { concurrency: 4, ackWaitMs },
    );
    const id = crypto.randomUUID();
    const first = await publishTestEvent(bed.nc, 'ticket.updated', ticketUpdate(id, 0));
    const second = await publishTestEvent(bed.nc, 'ticket.updated', ticketUpdate(id, 1));

    await tc.next('handled', first.id);
    await tc.next('handled', second.id);
    expect(deliveries).toEqual([
      { version: 0, deliveryCount: 1 },
      { version: 1, deliveryCount: 1 },
    ]);
    // One delivery each: neither was redelivered (a redelivery would be skipped as a repeat, but made all the same).
    expect(await deliveriesTo(bed.nc, tc.consumer.durable)).toBe(2);
    expect(await appliedTo(bed.db, id)).toEqual([1, 1]);
  });

  it('applies once each event whose handler was killed mid-way with others in flight, when it is redelivered', async () => {
    const ackWaitMs = 1_000;
    const events = [];
    for (let i = 0; i < 30; i++) {
      const data = { ...ticketData(i), title: i % 3 === 0 ? `Ticket ${i} stuck` : `Ticket ${i}` };
      events.push(await publishTestEvent(bed.nc, 'ticket.created', data));
    }
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'fixtures/consumer-process.ts')],
      {
        env: {
          ...process.env,
          DATABASE_URL: bed.db.url,
          ...bed.nats.env(NATS_TEST_USER),
          CONCURRENCY: '4',
          ACK_WAIT_MS: String(ackWaitMs),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stuck = 0;
    let handledBefore = 0;
    child.stdout.on('data', (d: Buffer) => {
      stuck += (d.toString().match(/^stuck /gm) ?? []).length;
      handledBefore += (d.toString().match(/^handled /gm) ?? []).length;
    });
    // Every slot holds an open transaction: the worst moment to die.
    await waitFor(() => stuck === 4, { timeoutMs: 30_000, what: 'four handlers stuck mid-way' });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(handledBefore).toBeGreaterThan(0);

    await bed.consume(countingConsumer, { concurrency: 4, ackWaitMs });

    await waitFor(
      async () =>
        (await bed.db.pool.query('select count(*)::int as n from replica')).rows[0].n === events.length,
      { timeoutMs: 30_000, what: 'every event applied' },
    );
    // Whatever the first process committed is not applied again; what it had in hand is applied now.
    await waitFor(
      async () =>
        (await bed.db.pool.query('select count(*)::int as n from inbox')).rows[0].n === events.length,
      { timeoutMs: 30_000, what: 'every event in the inbox' },
    );
    const rows = await bed.db.pool.query<{ applied: number[] }>('select applied from replica');
    expect(rows.rows.map((r) => r.applied)).toEqual(events.map(() => [1]));
  });
});
