import crypto from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import { aTicket } from '../../__tests__/helpers';
import { reserveTicket, sellTicket } from '../reservations';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('order events about one ticket handled at the same time', () => {
  it('sells the ticket when the order.created and order.completed of one order race', async () => {
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        const ticket = await aTicket(db.db);
        const orderId = crypto.randomUUID();
        const ref = { orderId, ticketId: ticket.id };
        // Two consumers, two transactions: neither may miss what the other committed.
        await Promise.all([
          db.db.transaction((tx) => reserveTicket(tx, ref)),
          db.db.transaction((tx) => sellTicket(tx, ref)),
        ]);
      }),
    );

    const sold = await db.pool.query(
      'select count(*)::int as n from tickets where sold_at is not null and order_id is not null',
    );
    expect(sold.rows[0].n).toBe(40);
  });
});
