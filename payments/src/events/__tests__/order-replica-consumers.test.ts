import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { OrderCreatedData } from '@ticketing/common';
import {
  publishRaw,
  publishTestEvent,
  startMessagingFixture,
  type TestConsumer,
  type TestDatabase,
} from '@ticketing/common/testing';
import { orders } from '../../db/schema';
import { orderCreatedData } from '../../__tests__/helpers';
import { orderCancelledConsumer } from '../order-cancelled-consumer';
import { orderCompletedConsumer } from '../order-completed-consumer';
import { orderCreatedConsumer } from '../order-created-consumer';

let db: TestDatabase;
let created: TestConsumer<'order.created'>;
let cancelled: TestConsumer<'order.cancelled'>;
let completed: TestConsumer<'order.completed'>;
let teardown: () => Promise<void>;

beforeAll(async () => {
  ({
    db,
    consumers: { created, cancelled, completed },
    stop: teardown,
  } = await startMessagingFixture('payments', {
    created: orderCreatedConsumer,
    cancelled: orderCancelledConsumer,
    completed: orderCompletedConsumer,
  }));
});

afterAll(() => teardown?.());

async function replicaOf(orderId: string) {
  const [row] = await db.db.select().from(orders).where(eq(orders.id, orderId));
  return row;
}

async function orderInReplica(data: OrderCreatedData): Promise<void> {
  const event = await publishTestEvent(created.publisher, 'order.created', data);
  await created.next('handled', event.id);
}

describe('order.created consumer', () => {
  it('adds the order to the replica with its price in cents', async () => {
    const data = orderCreatedData({ ticket: { id: crypto.randomUUID(), price: 0.29 } });

    await orderInReplica(data);

    expect(await replicaOf(data.id)).toEqual({
      id: data.id,
      userId: data.userId,
      status: 'created',
      priceCents: 29,
      version: 0,
      expiresAt: new Date(data.expiresAt),
    });
  });

  it('applies a repeated event once', async () => {
    const data = orderCreatedData();
    const event = await publishTestEvent(created.publisher, 'order.created', data);
    await created.next('handled', event.id);

    const repeat = created.next('duplicate', event.id);
    await publishRaw(created.publisher, 'order.created', JSON.stringify(event));
    await repeat;

    expect(await replicaOf(data.id)).toMatchObject({ version: 0, status: 'created' });
  });
});

describe('order.cancelled consumer', () => {
  it('cancels the order at the next version', async () => {
    const data = orderCreatedData();
    await orderInReplica(data);

    const event = await publishTestEvent(cancelled.publisher, 'order.cancelled', {
      id: data.id,
      version: 1,
      ticket: { id: data.ticket.id },
    });
    await cancelled.next('handled', event.id);

    expect(await replicaOf(data.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('waits for order.created when it arrives first, then applies', async () => {
    const data = orderCreatedData();

    const event = await publishTestEvent(cancelled.publisher, 'order.cancelled', {
      id: data.id,
      version: 1,
      ticket: { id: data.ticket.id },
    });
    await cancelled.next('deferred', event.id);
    expect(await replicaOf(data.id)).toBeUndefined();
    const applied = cancelled.next('handled', event.id);
    await orderInReplica(data);
    await applied;

    expect(await replicaOf(data.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });
});

describe('order.completed consumer', () => {
  it('completes the order at the next version', async () => {
    const data = orderCreatedData();
    await orderInReplica(data);

    const event = await publishTestEvent(completed.publisher, 'order.completed', {
      id: data.id,
      version: 1,
      ticket: { id: data.ticket.id },
    });
    await completed.next('handled', event.id);

    expect(await replicaOf(data.id)).toMatchObject({ status: 'complete', version: 1 });
  });

  it('skips an older version than the replica holds', async () => {
    const data = orderCreatedData();
    await orderInReplica(data);
    const cancel = await publishTestEvent(cancelled.publisher, 'order.cancelled', {
      id: data.id,
      version: 1,
      ticket: { id: data.ticket.id },
    });
    await cancelled.next('handled', cancel.id);

    const stale = await publishTestEvent(completed.publisher, 'order.completed', {
      id: data.id,
      version: 1,
      ticket: { id: data.ticket.id },
    });
    await completed.next('handled', stale.id);

    expect(await replicaOf(data.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('defers a version that skips one the replica has not seen', async () => {
    const data = orderCreatedData();
    await orderInReplica(data);

    const event = await publishTestEvent(completed.publisher, 'order.completed', {
      id: data.id,
      version: 2,
      ticket: { id: data.ticket.id },
    });
    await completed.next('deferred', event.id);

    expect(await replicaOf(data.id)).toMatchObject({ status: 'created', version: 0 });
  });
});
