import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import { BadRequestError, centsToPrice, NotFoundError, outbox, type Tx } from '@ticketing/common';
import { liveStatuses, orders, statusIn, tickets } from '../db/schema';
import { toOrderView, type OrderView } from './orders';

/** What a buyer asks for, and how long the reservation lasts. */
export interface PlaceOrderInput {
  userId: string;
  ticketId: string;
  windowSeconds: number;
}

/**
 * Reserves a ticket for a buyer until now + `windowSeconds` and publishes `order.created`.
 * 404 when the replica does not know the ticket (yet); 400 `Ticket is already reserved` when a
 * live order holds it. The database decides races: the unique index on live orders per ticket
 * lets exactly one of any number of concurrent inserts through.
 */
export async function placeOrder(
  tx: Tx,
  { userId, ticketId, windowSeconds }: PlaceOrderInput,
): Promise<OrderView> {
  const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, ticketId));
  if (!ticket) throw new NotFoundError('Ticket not found');

  // ON CONFLICT on the partial index waits for a concurrent insert to commit and then yields,
  // instead of raising a unique violation that would abort this transaction.
  const [order] = await tx
    .insert(orders)
    .values({
      id: crypto.randomUUID(),
      userId,
      ticketId,
      status: 'created',
      expiresAt: new Date(Date.now() + windowSeconds * 1000),
    })
    .onConflictDoNothing({ target: orders.ticketId, where: statusIn(orders.status, liveStatuses) })
    .returning();
  if (!order) throw new BadRequestError('Ticket is already reserved', 'ticketId');

  await outbox.add(tx, 'order.created', {
    id: order.id,
    version: order.version,
    status: order.status,
    userId: order.userId,
    expiresAt: order.expiresAt.toISOString(),
    ticket: { id: ticket.id, price: centsToPrice(ticket.priceCents) },
  });
  return toOrderView(order, ticket);
}
