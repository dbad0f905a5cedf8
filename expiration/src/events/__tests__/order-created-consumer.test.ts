import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import { messagingTables } from '@ticketing/common';
import {
  publishRaw,
  publishTestEvent,
  startMessagingFixture,
  type TestConsumer,
  type TestDatabase,
} from '@ticketing/common/testing';
import { scheduledExpirations } from '../../db/schema';
import { orderCreatedConsumer } from '../order-created-consumer';
import { orderCreatedData } from '../../__tests__/helpers';

const { outbox, deadLetters } = messagingTables;

let db: TestDatabase;
let tc: TestConsumer<'order.created'>;
let teardown: () => Promise<void>;

beforeAll(async () => {
  ({
    db,
    consumers: { tc },
    stop: teardown,
  } = await startMessagingFixture('expiration', { tc: orderCreatedConsumer }));
});

afterAll(() => teardown?.());

function scheduledEventsFor(orderId: string) {
  return db.db
    .select()
    .from(outbox)
    .where(eq(outbox.subject, 'expiration.complete'))
    .then((rows) => rows.filter((r) => (r.data as { orderId: string }).orderId === orderId));
}

describe('order.created consumer', () => {
  it('schedules expiration.complete for the order at its expiresAt', async () => {
    const data = orderCreatedData({ expiresAt: '2026-11-23T12:15:00.123Z' });

    const event = await publishTestEvent(tc.publisher, 'order.created', data);
    await tc.next('handled', event.id);

    const rows = await scheduledEventsFor(data.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ data: { orderId: data.id }, publishedAt: null });
    expect(rows[0]!.notBefore.toISOString()).toBe('2026-11-23T12:15:00.123Z');
    const [scheduled] = await db.db
      .select()
      .from(scheduledExpirations)
      .where(eq(scheduledExpirations.orderId, data.id));
    expect(scheduled).toMatchObject({ eventId: rows[0]!.id, expiresAt: new Date(data.expiresAt) });
  });

  it('schedules once when the same event is delivered twice', async () => {
    const data = orderCreatedData();
    const event = await publishTestEvent(tc.publisher, 'order.created', data);
    await tc.next('handled', event.id);

    // Without a message id the stream keeps the copy, so the consumer's inbox must catch it.
    const repeat = tc.next('duplicate', event.id);
    await publishRaw(tc.publisher, 'order.created', JSON.stringify(event));
    await repeat;

    expect(await scheduledEventsFor(data.id)).toHaveLength(1);
  });

  it('schedules once when two different order.created events name one order', async () => {
    const data = orderCreatedData();
    const first = await publishTestEvent(tc.publisher, 'order.created', data);
    await tc.next('handled', first.id);

    const second = await publishTestEvent(tc.publisher, 'order.created', {
      ...data,
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await tc.next('handled', second.id);

    const rows = await scheduledEventsFor(data.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.notBefore.toISOString()).toBe(data.expiresAt);
  });

  it('dead-letters an order.created that fails its schema and handles the next one', async () => {
    const poison = {
      id: crypto.randomUUID(),
      subject: 'order.created',
      occurredAt: new Date().toISOString(),
      data: { id: 'not-a-uuid' },
    };
    const deadLettered = tc.next('dead-lettered', poison.id);
    await publishRaw(tc.publisher, 'order.created', JSON.stringify(poison));
    await deadLettered;

    const good = await publishTestEvent(tc.publisher, 'order.created', orderCreatedData());
    await tc.next('handled', good.id);

    const [letter] = await db.db.select().from(deadLetters).where(eq(deadLetters.eventId, poison.id));
    expect(letter).toMatchObject({ consumer: 'expiration:order.created' });
    expect(letter!.reason).toMatch(/schema/);
  });
});
