import { and, eq } from 'drizzle-orm';
import { priceToCents, shouldApplyVersion, type OrderCreatedData, type Tx } from '@ticketing/common';
import { orders, type Order } from '../db/schema';

/** The replica's version of an order, row-locked so concurrent consumers of one order take turns. */
async function heldVersion(tx: Tx, orderId: string): Promise<number | undefined> {
  const [row] = await tx
    .select({ version: orders.version })
    .from(orders)
    .where(eq(orders.id, orderId))
    .for('update');
  return row?.version;
}

/** order.created: adds the order to the replica (version 0; a repeat is skipped). */
export async function recordOrderCreated(tx: Tx, data: OrderCreatedData): Promise<void> {
  const row = {
    id: data.id,
    userId: data.userId,
    status: data.status,
    priceCents: priceToCents(data.ticket.price),
    version: data.version,
    expiresAt: new Date(data.expiresAt),
  };
  // The usual case in one statement: version 0 of an order not held yet. A repeat inserts nothing
  // and takes the locked path below, which finds it held and skips it.
  if (data.version === 0) {
    const [inserted] = await tx.insert(orders).values(row).onConflictDoNothing().returning({ id: orders.id });
    if (inserted) return;
  }
  const held = await heldVersion(tx, data.id);
  if (!shouldApplyVersion(held, data.version, `order ${data.id}`)) return;
  await tx
    .insert(orders)
    .values(row)
    // Two first deliveries racing: the loser finds the row already there.
    .onConflictDoNothing();
}

/**
 * order.cancelled / order.completed: moves the replica to `status` at `version`, only when it
 * holds `version - 1` (a repeat is skipped; a gap throws NotYetApplicableError, redelivered later).
 */
export async function recordOrderStatus(
  tx: Tx,
  change: { id: string; version: number },
  status: Extract<Order['status'], 'cancelled' | 'complete'>,
): Promise<void> {
  // The usual case in one statement: the replica holds version - 1. Anything else (a repeat, a
  // gap, a missing order) takes the locked path below.
  const [applied] = await tx
    .update(orders)
    .set({ status, version: change.version })
    .where(and(eq(orders.id, change.id), eq(orders.version, change.version - 1)))
    .returning({ id: orders.id });
  if (applied) return;
  const held = await heldVersion(tx, change.id);
  if (!shouldApplyVersion(held, change.version, `order ${change.id}`)) return;
  await tx.update(orders).set({ status, version: change.version }).where(eq(orders.id, change.id));
}
