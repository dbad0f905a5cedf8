import crypto from 'node:crypto';
import {
  publishRaw,
  startMessagingFixture,
  type TestConsumer,
  type TestDatabase,
} from '@ticketing/common/testing';
import {
  aTicket,
  deliver,
  orderCreatedData,
  redeliver,
  storedTicket,
  ticketEvents,
} from '../../__tests__/helpers';
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
  } = await startMessagingFixture('tickets', {
    created: orderCreatedConsumer,
    cancelled: orderCancelledConsumer,
    completed: orderCompletedConsumer,
  }));
});
afterAll(() => teardown?.());

const updates = (ticketId: string) => ticketEvents(db, ticketId, 'ticket.updated');

describe('order.created consumer', () => {
  it('reserves a free ticket for the order and commits ticket.updated with the order id', async () => {
    const ticket = await aTicket(db.db);
    const data = orderCreatedData(ticket.id);

    await deliver(created, 'order.created', data);

    expect(await storedTicket(db.db, ticket.id)).toEqual({ ...ticket, version: 1, orderId: data.id });
    expect(await updates(ticket.id)).toEqual([
      { subject: 'ticket.updated', data: { ...ticket, version: 1, orderId: data.id } },
    ]);
  });

  it('applies a repeated event (same id) once', async () => {
    const ticket = await aTicket(db.db);
    const event = await deliver(created, 'order.created', orderCreatedData(ticket.id));

    await redeliver(created, event);

    expect((await storedTicket(db.db, ticket.id)).version).toBe(1);
    expect(await updates(ticket.id)).toHaveLength(1);
  });

  it('changes nothing when the same order arrives again under another event id', async () => {
    const ticket = await aTicket(db.db);
    const data = orderCreatedData(ticket.id);
    await deliver(created, 'order.created', data);

    await deliver(created, 'order.created', data);

    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ version: 1, orderId: data.id });
    expect(await updates(ticket.id)).toHaveLength(1);
  });

  it('waits while another order holds the ticket, and reserves once that order is cancelled', async () => {
    const ticket = await aTicket(db.db);
    const first = orderCreatedData(ticket.id);
    await deliver(created, 'order.created', first);
    const second = orderCreatedData(ticket.id);

    const handled = created.next(
      'handled',
      (await deliver(created, 'order.created', second, { signal: 'deferred' })).id,
    );
    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ version: 1, orderId: first.id });
    await deliver(cancelled, 'order.cancelled', { id: first.id, version: 1, ticket: { id: ticket.id } });
    await handled;

    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ version: 3, orderId: second.id });
    expect((await updates(ticket.id)).map((e) => [e.data.version, e.data.orderId])).toEqual([
      [1, first.id],
      [2, null],
      [3, second.id],
    ]);
  });

  it('does not reserve a ticket already sold to another order', async () => {
    const ticket = await aTicket(db.db);
    const buyer = orderCreatedData(ticket.id);
    await deliver(created, 'order.created', buyer);
    await deliver(completed, 'order.completed', { id: buyer.id, version: 2, ticket: { id: ticket.id } });

    await deliver(created, 'order.created', orderCreatedData(ticket.id));

    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ version: 2, orderId: buyer.id });
    expect(await updates(ticket.id)).toHaveLength(2);
  });

  it('does not reserve for an order whose cancellation arrived first', async () => {
    const ticket = await aTicket(db.db);
    const data = orderCreatedData(ticket.id);
    await deliver(cancelled, 'order.cancelled', { id: data.id, version: 1, ticket: { id: ticket.id } });

    await deliver(created, 'order.created', data);

    expect(await storedTicket(db.db, ticket.id)).toEqual(ticket);
    expect(await updates(ticket.id)).toEqual([]);
  });

  it('reserves and sells at once for an order whose completion arrived first', async () => {
    const ticket = await aTicket(db.db);
    const data = orderCreatedData(ticket.id);
    await deliver(completed, 'order.completed', { id: data.id, version: 2, ticket: { id: ticket.id } });

    await deliver(created, 'order.created', data);

    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ version: 1, orderId: data.id });
    const { rows } = await db.pool.query('select sold_at from tickets where id = $1', [ticket.id]);
    expect(rows[0].sold_at).toBeInstanceOf(Date);
    expect((await updates(ticket.id)).map((e) => e.data.version)).toEqual([1]);
  });

  it('acknowledges an order for an unknown ticket without changing anything', async () => {
    const ticketId = crypto.randomUUID();

    await deliver(created, 'order.created', orderCreatedData(ticketId));

    expect(await ticketEvents(db, ticketId)).toEqual([]);
  });

  it('dead-letters an event that fails its schema and handles the next one', async () => {
    const ticket = await aTicket(db.db);
    const poisonId = crypto.randomUUID();
    const deadLettered = created.next('dead-lettered', poisonId);
    const poison = {
      id: poisonId,
      subject: 'order.created',
      occurredAt: new Date().toISOString(),
      data: { id: 'x' },
    };

    await publishRaw(created.publisher, 'order.created', JSON.stringify(poison));
    await deadLettered;
    await deliver(created, 'order.created', orderCreatedData(ticket.id));

    const { rows } = await db.pool.query('select reason from dead_letters where event_id = $1', [poisonId]);
    expect(rows[0].reason).toMatch(/schema/);
    expect((await storedTicket(db.db, ticket.id)).version).toBe(1);
  });
});
