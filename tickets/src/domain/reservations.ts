import { eq } from 'drizzle-orm';
import { NotYetApplicableError, type Tx } from '@ticketing/common';
import { finishedOrders, tickets } from '../db/schema';
import { changeTicket, type TicketRow } from './change-ticket';

/** An order and the ticket it is about, as order events carry them. */
export interface OrderRef {
  orderId: string;
  ticketId: string;
}

/** What an order event did to the ticket (the consumers log it). */
export type ReservationOutcome =
  | 'reserved'
  | 'sold'
  | 'released'
  | 'unchanged'
  | 'order-already-cancelled'
  | 'sold-to-another-order'
  | 'unknown-ticket';

/**
 * Order events about one ticket arrive on different subjects, so their consumers run at the same
 * time. Each handler first locks the ticket row: they take turns, and each reads `finished_orders`
 * and the ticket as the one before it committed them (a lock-free read let an `order.created` and
 * an `order.completed` of one order both miss each other, leaving a paid ticket unsold).
 */
async function lockTicket(tx: Tx, ticketId: string): Promise<TicketRow | null> {
  // FOR UPDATE returns the row as the last writer committed it, so it doubles as changeTicket's read.
  const [row] = await tx.select().from(tickets).where(eq(tickets.id, ticketId)).for('update');
  return row ?? null;
}

/**
 * `order.created`: reserves the ticket for the order if it is free. Nothing changes when this order
 * already holds it (a repeat) or when the order was cancelled before its creation arrived; an order
 * already completed gets the ticket reserved and sold at once.
 * While another order holds the ticket, that order's cancellation must still be on its way (orders
 * lets only one live order hold a ticket), so the event is deferred until it arrives.
 */
export async function reserveTicket(tx: Tx, { orderId, ticketId }: OrderRef): Promise<ReservationOutcome> {
  const locked = await lockTicket(tx, ticketId);
  const [finished] = await tx.select().from(finishedOrders).where(eq(finishedOrders.orderId, orderId));
  if (finished?.outcome === 'cancelled') return 'order-already-cancelled';
  const completed = finished?.outcome === 'completed';

  const result = await changeTicket(
    tx,
    ticketId,
    (t) => {
      if (t.orderId !== null || t.soldAt !== null) return null;
      return completed ? { orderId, soldAt: new Date() } : { orderId };
    },
    locked,
  );
  if (!result) return 'unknown-ticket';
  const { ticket, changed } = result;
  if (changed) return completed ? 'sold' : 'reserved';
  if (ticket.orderId === orderId) return 'unchanged';
  // Sold to another order: orders would never have let this one be created, so it is stale.
  if (ticket.soldAt !== null) return 'sold-to-another-order';
  throw new NotYetApplicableError(
    `ticket ${ticketId} is held by order ${ticket.orderId}, waiting for its cancellation`,
  );
}

/**
 * `order.cancelled`: frees the ticket only if this very order holds it and it is not sold, and
 * remembers the order as cancelled so a late `order.created` cannot reserve again.
 */
export async function releaseTicket(tx: Tx, { orderId, ticketId }: OrderRef): Promise<ReservationOutcome> {
  const locked = await lockTicket(tx, ticketId);
  await tx.insert(finishedOrders).values({ orderId, ticketId, outcome: 'cancelled' }).onConflictDoNothing();
  const result = await changeTicket(
    tx,
    ticketId,
    (t) => (t.orderId === orderId && t.soldAt === null ? { orderId: null } : null),
    locked,
  );
  if (!result) return 'unknown-ticket';
  return result.changed ? 'released' : 'unchanged';
}

/**
 * `order.completed`: marks the ticket sold (for good; it keeps the order id) if this order holds it,
 * and remembers the order as completed so a late `order.created` sells the ticket to it.
 */
export async function sellTicket(tx: Tx, { orderId, ticketId }: OrderRef): Promise<ReservationOutcome> {
  const locked = await lockTicket(tx, ticketId);
  await tx.insert(finishedOrders).values({ orderId, ticketId, outcome: 'completed' }).onConflictDoNothing();
  const result = await changeTicket(
    tx,
    ticketId,
    (t) => (t.orderId === orderId && t.soldAt === null ? { soldAt: new Date() } : null),
    locked,
  );
  if (!result) return 'unknown-ticket';
  return result.changed ? 'sold' : 'unchanged';
}
