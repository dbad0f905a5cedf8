import crypto from 'node:crypto';
import { startMessagingFixture, type TestConsumer, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { releaseTicket } from '../../domain/reservations';
import {
  aTicket,
  aUser,
  deliver,
  putTicket,
  redeliver,
  reservedTicket,
  storedTicket,
  testApp,
  ticketEvents,
} from '../../__tests__/helpers';
import { orderCompletedConsumer } from '../order-completed-consumer';

let db: TestDatabase;
let completed: TestConsumer<'order.completed'>;
let teardown: () => Promise<void>;

beforeAll(async () => {
  ({
    db,
    consumers: { completed },
    stop: teardown,
  } = await startMessagingFixture('tickets', { completed: orderCompletedConsumer }));
});
afterAll(() => teardown?.());

const completion = (orderId: string, ticketId: string) => ({
  id: orderId,
  version: 2,
  ticket: { id: ticketId },
});
const updates = (ticketId: string) => ticketEvents(db, ticketId, 'ticket.updated');

async function soldAt(ticketId: string): Promise<Date | null> {
  const { rows } = await db.pool.query('select sold_at from tickets where id = $1', [ticketId]);
  return rows[0].sold_at;
}

describe('order.completed consumer', () => {
  it('marks the ticket sold, keeping the order id, and commits ticket.updated', async () => {
    const { ticket, orderId } = await reservedTicket(db.db);

    await deliver(completed, 'order.completed', completion(orderId, ticket.id));

    expect(await storedTicket(db.db, ticket.id)).toEqual({ ...ticket, version: 2, orderId });
    expect(await soldAt(ticket.id)).toBeInstanceOf(Date);
    expect((await updates(ticket.id)).map((e) => e.data)).toEqual([
      expect.objectContaining({ version: 1 }),
      { ...ticket, version: 2, orderId },
    ]);
  });

  it('takes the sold ticket off sale for good: not listed, not editable, not released', async () => {
    const seller = aUser();
    const { ticket, orderId } = await reservedTicket(db.db, seller.id);
    await deliver(completed, 'order.completed', completion(orderId, ticket.id));

    await db.db.transaction((tx) => releaseTicket(tx, { orderId, ticketId: ticket.id }));
    const listed = await request(testApp(db)).get('/api/tickets');
    const edit = await putTicket(testApp(db), ticket.id, seller.cookie, { title: 'Again', price: 1 });

    expect(listed.body.map((t: { id: string }) => t.id)).not.toContain(ticket.id);
    expect(edit.status).toBe(400);
    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ version: 2, orderId });
  });

  it('applies a repeated event (same id) once', async () => {
    const { ticket, orderId } = await reservedTicket(db.db);
    const event = await deliver(completed, 'order.completed', completion(orderId, ticket.id));

    await redeliver(completed, event);

    expect((await storedTicket(db.db, ticket.id)).version).toBe(2);
    expect(await updates(ticket.id)).toHaveLength(2);
  });

  it('does not sell a ticket held by another order', async () => {
    const { ticket, orderId } = await reservedTicket(db.db);

    await deliver(completed, 'order.completed', completion(crypto.randomUUID(), ticket.id));

    expect(await storedTicket(db.db, ticket.id)).toMatchObject({ version: 1, orderId });
    expect(await soldAt(ticket.id)).toBeNull();
  });

  it('does not touch a free ticket when the completion arrives before the order’s creation', async () => {
    const ticket = await aTicket(db.db);

    await deliver(completed, 'order.completed', completion(crypto.randomUUID(), ticket.id));

    expect(await storedTicket(db.db, ticket.id)).toEqual(ticket);
    expect(await updates(ticket.id)).toEqual([]);
  });
});
