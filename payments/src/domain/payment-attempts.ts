import crypto from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import {
  BadRequestError,
  isChargeable,
  MIN_CHARGE_MESSAGE,
  NotAuthorizedError,
  NotFoundError,
  TooManyRequestsError,
  outbox,
  type Logger,
  type Tx,
} from '@ticketing/common';
import { orders, payments, type Payment } from '../db/schema';
import { recordRefundsOwed } from './refunds';

/**
 * A pending attempt whose provider call started longer ago than this is presumed abandoned (its
 * process died between the provider call and recording the result) and is resumed.
 */
export const STALE_ATTEMPT_MS = 60_000;

/** The idempotency key of one attempt: derived from the order, and new for every attempt (a declined key replays its decline). */
export function idempotencyKeyFor(orderId: string, paymentId: string): string {
  return `order_${orderId}_attempt_${paymentId}`;
}

/** How many declined attempts an order, and a buyer across orders, may have within a window. */
export interface DeclineLimits {
  maxPerOrder: number;
  maxPerUser: number;
  windowSeconds: number;
}

// Namespace of the per-buyer advisory locks, so one buyer's attempts on different orders take turns.
const BUYER_LOCK_CLASS = 4_401;

/** A payment attempt to send to the provider; `resumed` when it is an abandoned one sent again. */
export type PaymentAttempt = Payment & { resumed: boolean };

/**
 * Opens a payment attempt for an order, with the order row locked so attempts on one order take
 * turns. Applies the contract's rules (owner, not cancelled, not paid, not expired, at least the
 * provider's minimum charge), refuses while
 * another attempt is in flight, resumes a stale one with its own key and token, or inserts a new
 * pending attempt. The partial unique index on live payments backs all this up in the database.
 * A new attempt is refused with 429 once the order, or the buyer across orders, has too many
 * declined attempts within the window (card testing), before the provider is called.
 */
export async function beginPaymentAttempt(
  tx: Tx,
  input: { orderId: string; userId: string; token: string; now: Date; declineLimits: DeclineLimits },
): Promise<PaymentAttempt> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, input.orderId)).for('update');
  if (!order) throw new NotFoundError('Order not found');
  if (order.userId !== input.userId) throw new NotAuthorizedError();
  if (order.status === 'cancelled') throw new BadRequestError('Cannot pay for a cancelled order');
  if (order.status === 'complete') throw new BadRequestError('Order has already been paid');

  const [live] = await tx
    .select()
    .from(payments)
    .where(and(eq(payments.orderId, order.id), inArray(payments.status, ['pending', 'succeeded'])));
  if (live?.status === 'succeeded') throw new BadRequestError('Order has already been paid');
  if (live) {
    if (input.now.getTime() - live.attemptedAt.getTime() < STALE_ATTEMPT_MS) {
      throw new BadRequestError('A payment for this order is in progress');
    }
    // Its charge may already have been made: finish it (same key, same token) whatever the clock says now.
    const [resumed] = await tx
      .update(payments)
      .set({ attemptedAt: input.now })
      .where(eq(payments.id, live.id))
      .returning();
    return { ...resumed!, resumed: true };
  }

  if (order.expiresAt.getTime() <= input.now.getTime()) throw new BadRequestError('Order has expired');
  // Tickets may be listed below the minimum; the provider would refuse the charge, and that is no decline.
  if (!isChargeable(order.priceCents)) throw new BadRequestError(MIN_CHARGE_MESSAGE);
  await ensureBelowDeclineLimits(tx, order.id, input.userId, input.declineLimits);

  const id = crypto.randomUUID();
  const [created] = await tx
    .insert(payments)
    .values({
      id,
      orderId: order.id,
      status: 'pending',
      amountCents: order.priceCents,
      token: input.token,
      idempotencyKey: idempotencyKeyFor(order.id, id),
      attemptedAt: input.now,
    })
    .returning();
  return { ...created!, resumed: false };
}

/**
 * Records a successful charge and commits payment.created with it (once, however often it is
 * called). The order row is locked first, as the order.cancelled consumer does: when the order
 * was cancelled meanwhile, no payment.created is committed, a refund of the charge is owed
 * (`recordRefundsOwed`, in this transaction; the refund worker makes it) and the answer is
 * 'order-cancelled'.
 */
export async function recordChargeSucceeded(
  tx: Tx,
  attempt: { id: string; orderId: string },
  chargeId: string,
  logger: Logger,
): Promise<'recorded' | 'order-cancelled'> {
  const [order] = await tx
    .select({ status: orders.status })
    .from(orders)
    .where(eq(orders.id, attempt.orderId))
    .for('update');
  const cancelled = order?.status === 'cancelled';
  const [paid] = await tx
    .update(payments)
    .set({ status: 'succeeded', providerChargeId: chargeId })
    .where(and(eq(payments.id, attempt.id), eq(payments.status, 'pending')))
    .returning();
  if (cancelled) {
    await recordRefundsOwed(tx, attempt.orderId, logger);
    return 'order-cancelled';
  }
  // Already settled by a concurrent resume of the same attempt, which published the event.
  if (!paid) return 'recorded';
  await outbox.add(tx, 'payment.created', { id: paid.id, orderId: paid.orderId, stripeId: chargeId });
  return 'recorded';
}

/** Records a declined charge: the attempt is closed and the order can be paid again. */
export async function recordChargeDeclined(tx: Tx, paymentId: string, message: string): Promise<void> {
  await tx
    .update(payments)
    .set({ status: 'declined', failureMessage: message.slice(0, 1000) })
    .where(and(eq(payments.id, paymentId), eq(payments.status, 'pending')));
}

/**
 * 429 when the order has `maxPerOrder`, or the buyer `maxPerUser`, declined attempts within the
 * window. Under a per-buyer lock (the order row is locked already), so concurrent attempts of one
 * buyer cannot all pass; `Retry-After` is when the oldest decline that counts leaves the window.
 */
async function ensureBelowDeclineLimits(
  tx: Tx,
  orderId: string,
  userId: string,
  { maxPerOrder, maxPerUser, windowSeconds }: DeclineLimits,
): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${BUYER_LOCK_CLASS}, hashtext(${userId}))`);
  const window = sql`make_interval(secs => ${windowSeconds})`;
  const declinedSince = (scope: ReturnType<typeof sql>, max: number) =>
    tx
      .select({ waitSeconds: sql<string>`extract(epoch from ${payments.createdAt} + ${window} - now())` })
      .from(payments)
      .innerJoin(orders, eq(orders.id, payments.orderId))
      .where(sql`${scope} and ${payments.status} = 'declined' and ${payments.createdAt} > now() - ${window}`)
      .orderBy(sql`${payments.createdAt} desc`)
      .offset(max - 1)
      .limit(1);
  const [byOrder] = await declinedSince(sql`${payments.orderId} = ${orderId}`, maxPerOrder);
  const [byUser] = await declinedSince(sql`${orders.userId} = ${userId}`, maxPerUser);
  const blocking = [byOrder, byUser].filter((b) => b !== undefined).map((b) => Number(b.waitSeconds));
  if (blocking.length > 0) {
    throw new TooManyRequestsError(
      'Too many declined payment attempts, try again later',
      Math.max(1, Math.ceil(Math.max(...blocking))),
    );
  }
}
