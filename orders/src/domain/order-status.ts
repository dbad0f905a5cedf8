/**
 * Status changes of an order. Each locks the order row first (SELECT … FOR UPDATE), so a DELETE,
 * an expiry and a payment arriving together are applied one after the other, each seeing the
 * status the previous one left; each change bumps the version and publishes its event.
 */
import { eq } from 'drizzle-orm';
import { BadRequestError, NotAuthorizedError, NotFoundError, outbox, type Tx } from '@ticketing/common';
import { orders, type OrderRow } from '../db/schema';

/** What a status change did: `changed`, nothing (`unchanged`), or nothing because the order is `unknown`. */
export type StatusChangeOutcome = 'changed' | 'unchanged' | 'unknown';

/**
 * The buyer cancels their order (DELETE). 404 unknown, 401 someone else's, 400 when it is
 * complete; cancelling a cancelled order changes nothing.
 */
export async function cancelOrder(
  tx: Tx,
  { orderId, userId }: { orderId: string; userId: string },
): Promise<void> {
  const order = await lockOrder(tx, orderId);
  if (!order) throw new NotFoundError('Order not found');
  if (order.userId !== userId) throw new NotAuthorizedError();
  if (order.status === 'complete') throw new BadRequestError('Cannot cancel a completed order');
  if (order.status !== 'cancelled') await cancel(tx, order);
}

/**
 * The reservation window passed (`expiration.complete`): cancels the order only while it is
 * `created` or `awaiting:payment`. A complete or cancelled order, and so any order that a later
 * one has replaced on the ticket, is left as it is.
 */
export async function expireOrder(tx: Tx, orderId: string): Promise<StatusChangeOutcome> {
  const order = await lockOrder(tx, orderId);
  if (!order) return 'unknown';
  if (order.status !== 'created' && order.status !== 'awaiting:payment') return 'unchanged';
  await cancel(tx, order);
  return 'changed';
}

/**
 * The order was paid (`payment.created`): completes it unless it is cancelled (`refused`); an order
 * already complete stays as it is (a repeat).
 */
export async function completeOrder(tx: Tx, orderId: string): Promise<StatusChangeOutcome | 'refused'> {
  const order = await lockOrder(tx, orderId);
  if (!order) return 'unknown';
  if (order.status === 'cancelled') return 'refused';
  if (order.status === 'complete') return 'unchanged';
  const version = order.version + 1;
  await tx.update(orders).set({ status: 'complete', version }).where(eq(orders.id, order.id));
  await outbox.add(tx, 'order.completed', { id: order.id, version, ticket: { id: order.ticketId } });
  return 'changed';
}

async function lockOrder(tx: Tx, orderId: string): Promise<OrderRow | undefined> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  return order;
}

async function cancel(tx: Tx, order: OrderRow): Promise<void> {
  // The row is locked, so the version read is the latest.
  const version = order.version + 1;
  await tx.update(orders).set({ status: 'cancelled', version }).where(eq(orders.id, order.id));
  await outbox.add(tx, 'order.cancelled', { id: order.id, version, ticket: { id: order.ticketId } });
}
