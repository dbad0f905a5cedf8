import crypto from 'node:crypto';
import { startMessagingFixture, type TestConsumer, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { reserveTicket, sellTicket } from '../../domain/reservations';
import {
  aTicket,
  deliver,
  redeliver,
  reservedTicket,
  storedTicket,
  testApp,
  ticketEvents,
} from '../../__tests__/helpers';
import { orderCancelledConsumer } from '../order-cancelled-consumer';

let db: TestDatabase;
let cancelled: TestConsumer<'order.cancelled'>;
let teardown: () => Promise<void>;

beforeAll(async () => {
  ({
    db,
    consumers: { cancelled },
    stop: teardown,
  } = await startMessagingFixture('tickets', { cancelled: orderCancelledConsumer }));
});
afterAll(() => teardown?.());

const cancellation = (orderId: string, ticketId: string) => ({
  id: orderId,
  version: 1,
  ticket: { id: ticketId },
});
const updates = (ticketId: string) => ticketEvents(db, ticketId, 'ticket.updated');

describe('order.cancelled consumer', () => {
  it('releases the ticket held by the cancelled order and commits ticket.updated with orderId null', async () => {
    const { ticket, orderId } = await reservedTicket(db.db);

    await deliver(cancelled, 'order.cancelled', cancellation(orderId, ticket.id));

    expect(await storedTicket(db.db, ticket.id)).toEqual({ ...ticket, version: 2, orderId: null });
    expect((await updates(ticket.id)).map((e) => e.data)).toEqual([
      expect.objectContaining({ version: 1 }),
      { ...ticket, version: 2, orderId: null },
    ]);
  });

  it('puts the released ticket back on sale', async () => {
    const { ticket, orderId } = await reservedTicket(db.db);

    await deliver(cancelled, 'order.cancelled', cancellation(orderId, ticket.id));

    const listed = await request(testApp(db)).get('/api/tickets');
    expect(listed.body.map((t: { id: string }) => t.id)).toContain(ticket.id);
  });

  it('does not release a ticket reserved by order X when order Y is cancelled', async () => {
    const { ticket, orderId: x } = await reservedTicket(db.db);
    const y = crypto.randomUUID();

    await deliver(cancelled, 'order.cancelled', cancellation(y, ticket.id));

    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ version: 1, orderId: x });
    expect(await updates(ticket.id)).toHaveLength(1);
  });

  it('applies a repeated event (same id) once', async () => {
    const { ticket, orderId } = await reservedTicket(db.db);
    const event = await deliver(cancelled, 'order.cancelled', cancellation(orderId, ticket.id));

    await redeliver(cancelled, event);

    expect((await storedTicket(db.db, ticket.id)).version).toBe(2);
    expect(await updates(ticket.id)).toHaveLength(2);
  });

  it('changes nothing when a stale cancellation arrives after the ticket went to another order', async () => {
    const { ticket, orderId: first } = await reservedTicket(db.db);
    await deliver(cancelled, 'order.cancelled', cancellation(first, ticket.id));
    const second = crypto.randomUUID();
    await db.db.transaction((tx) => reserveTicket(tx, { orderId: second, ticketId: ticket.id }));

    await deliver(cancelled, 'order.cancelled', cancellation(first, ticket.id));

    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ version: 3, orderId: second });
  });

  it('never releases a sold ticket', async () => {
    const { ticket, orderId } = await reservedTicket(db.db);
    await db.db.transaction((tx) => sellTicket(tx, { orderId, ticketId: ticket.id }));

    await deliver(cancelled, 'order.cancelled', cancellation(orderId, ticket.id));

    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ version: 2, orderId });
    expect(await updates(ticket.id)).toHaveLength(2);
  });

  it('changes nothing for a free ticket', async () => {
    const ticket = await aTicket(db.db);

    await deliver(cancelled, 'order.cancelled', cancellation(crypto.randomUUID(), ticket.id));

    expect(await storedTicket(db.db, ticket.id)).toEqual(ticket);
    expect(await updates(ticket.id)).toEqual([]);
  });
});
