import crypto from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import {
  BadRequestError,
  centsToPrice,
  NotFoundError,
  TooManyRequestsError,
  outbox,
  type Tx,
} from '@ticketing/common';
import { liveStatuses, orders, statusIn, tickets } from '../db/schema';
import { toOrderView, type OrderView } from './orders';

/** What a buyer asks for, and how long the reservation lasts. */
export interface PlaceOrderInput {
  userId: string;
  ticketId: string;
  windowSeconds: number;
  /** Unpaid orders one buyer may hold at once; the next one gets 429. */
  maxLiveOrdersPerUser: number;
}

/** The statuses of an order that is live but not paid: it holds a ticket until it expires. */
const unpaidStatuses = ['created', 'awaiting:payment'] as const;

// Namespace of the per-buyer advisory locks (the two-key form never collides with one-key locks).
const BUYER_LOCK_CLASS = 4_301;

/**
 * Reserves a ticket for a buyer until now + `windowSeconds` and publishes `order.created`.
 * 404 when the replica does not know the ticket (yet); 400 `Ticket is already reserved` when a
 * live order holds it. The database decides races: the unique index on live orders per ticket
 * lets exactly one of any number of concurrent inserts through. 429 when the buyer already holds
 * `maxLiveOrdersPerUser` unpaid orders (hoarding tickets without paying).
 */
export async function placeOrder(
  tx: Tx,
  { userId, ticketId, windowSeconds, maxLiveOrdersPerUser }: PlaceOrderInput,
): Promise<OrderView> {
  const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, ticketId));
  if (!ticket) throw new NotFoundError('Ticket not found');
  await ensureBelowLiveOrderLimit(tx, userId, maxLiveOrdersPerUser);

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

/**
 * 429 when `userId` already has `max` unpaid orders. The count and the insert that follows share a
 * transaction under a per-buyer lock, so concurrent requests of one buyer cannot all pass the
 * count; `Retry-After` is the time until the oldest of them expires and frees a place.
 */
async function ensureBelowLiveOrderLimit(tx: Tx, userId: string, max: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${BUYER_LOCK_CLASS}, hashtext(${userId}))`);
  const [live] = await tx
    .select({
      count: sql<number>`count(*)::int`,
      waitSeconds: sql<string | null>`extract(epoch from min(${orders.expiresAt}) - now())`,
    })
    .from(orders)
    .where(and(eq(orders.userId, userId), statusIn(orders.status, unpaidStatuses)));
  if (live.count >= max) {
    throw new TooManyRequestsError(
      `You already have ${max} unpaid orders; pay or cancel one first`,
      Math.max(1, Math.ceil(Number(live.waitSeconds ?? 1))),
    );
  }
}
