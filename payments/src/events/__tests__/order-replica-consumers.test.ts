import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { OrderCreatedData } from '@ticketing/common';
import {
  createTestDatabase,
  publishRaw,
  publishTestEvent,
  startNatsServer,
  startTestConsumer,
  type NatsServerHandle,
  type TestConsumer,
  type TestDatabase,
} from '@ticketing/common/testing';
import { orders } from '../../db/schema';
import { orderCancelledConsumer } from '../order-cancelled-consumer';
import { orderCompletedConsumer } from '../order-completed-consumer';
import { orderCreatedConsumer } from '../order-created-consumer';

let db: TestDatabase;
let nats: NatsServerHandle;
let created: TestConsumer<'order.created'>;
let cancelled: TestConsumer<'order.cancelled'>;
let completed: TestConsumer<'order.completed'>;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase(), startNatsServer()]);
  const options = { service: 'payments', natsUrl: nats.url, db: db.db };
  [created, cancelled, completed] = await Promise.all([
    startTestConsumer(orderCreatedConsumer, options),
    startTestConsumer(orderCancelledConsumer, options),
    startTestConsumer(orderCompletedConsumer, options),
  ]);
});

afterAll(async () => {
  await Promise.all([created?.stop(), cancelled?.stop(), completed?.stop()]);
  await Promise.all([nats?.stop(), db?.drop()]);
});

function orderCreatedData(overrides: Partial<OrderCreatedData> = {}): OrderCreatedData {
  return {
    id: crypto.randomUUID(),
    version: 0,
    status: 'created',
    userId: crypto.randomUUID(),
    expiresAt: '2026-11-23T12:15:00.000Z',
    ticket: { id: crypto.randomUUID(), price: 19.99 },
    ...overrides,
  };
}

async function replicaOf(orderId: string) {
  const [row] = await db.db.select().from(orders).where(eq(orders.id, orderId));
  return row;
}

async function orderInReplica(data: OrderCreatedData): Promise<void> {
  const event = await publishTestEvent(created.nc, 'order.created', data);
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
    const event = await publishTestEvent(created.nc, 'order.created', data);
    await created.next('handled', event.id);

    const repeat = created.next('duplicate', event.id);
    await publishRaw(created.nc, 'order.created', JSON.stringify(event));
    await repeat;

    expect(await replicaOf(data.id)).toMatchObject({ version: 0, status: 'created' });
  });
});

describe('order.cancelled consumer', () => {
  it('cancels the order at the next version', async () => {
    const data = orderCreatedData();
    await orderInReplica(data);

    const event = await publishTestEvent(cancelled.nc, 'order.cancelled', { id: data.id, version: 1, ticket: { id: data.ticket.id } });
    await cancelled.next('handled', event.id);

    expect(await replicaOf(data.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('waits for order.created when it arrives first, then applies', async () => {
    const data = orderCreatedData();

    const event = await publishTestEvent(cancelled.nc, 'order.cancelled', { id: data.id, version: 1, ticket: { id: data.ticket.id } });
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

    const event = await publishTestEvent(completed.nc, 'order.completed', { id: data.id, version: 1, ticket: { id: data.ticket.id } });
    await completed.next('handled', event.id);

    expect(await replicaOf(data.id)).toMatchObject({ status: 'complete', version: 1 });
  });

  it('skips an older version than the replica holds', async () => {
    const data = orderCreatedData();
    await orderInReplica(data);
    const cancel = await publishTestEvent(cancelled.nc, 'order.cancelled', { id: data.id, version: 1, ticket: { id: data.ticket.id } });
    await cancelled.next('handled', cancel.id);

    const stale = await publishTestEvent(completed.nc, 'order.completed', { id: data.id, version: 1, ticket: { id: data.ticket.id } });
    await completed.next('handled', stale.id);

    expect(await replicaOf(data.id)).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('defers a version that skips one the replica has not seen', async () => {
    const data = orderCreatedData();
    await orderInReplica(data);

    const event = await publishTestEvent(completed.nc, 'order.completed', { id: data.id, version: 2, ticket: { id: data.ticket.id } });
    await completed.next('deferred', event.id);

    expect(await replicaOf(data.id)).toMatchObject({ status: 'created', version: 0 });
  });
});
