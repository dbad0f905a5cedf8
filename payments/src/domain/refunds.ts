import { and, asc, eq, isNull, lte, sql } from 'drizzle-orm';
import type { Database, Logger, Tx } from '@ticketing/common';
import { orders, payments, refunds, type Refund } from '../db/schema';
import { ProviderCallInTransactionError, type PaymentProvider } from '../providers';
import { recordOrderStatus } from './order-replica';

/** The refund's idempotency key: one per payment, so a retried refund never pays back twice. */
export function refundKeyFor(paymentId: string): string {
  return `refund_${paymentId}`;
}

/**
 * The compensation for a payment that lands on a cancelled order (events on different subjects
 * are not ordered, so orders may cancel an order that payments has just charged): when the
 * replica says the order is cancelled, a full refund is owed for every succeeded payment of it,
 * committed as a pending `refunds` row in `tx` (once per payment, however often this runs). The
 * provider is not called here: the refund worker does that outside any transaction. The order row
 * is locked first, as the second transaction of a payment does, so a payment and a cancellation of
 * one order take turns and neither misses the other. Returns the refunds it added.
 */
export async function recordRefundsOwed(tx: Tx, orderId: string, logger: Logger): Promise<Refund[]> {
  const [order] = await tx
    .select({ status: orders.status })
    .from(orders)
    .where(eq(orders.id, orderId))
    .for('update');
  if (order?.status !== 'cancelled') return [];
  const charged = await tx
    .select()
    .from(payments)
    .leftJoin(refunds, eq(refunds.paymentId, payments.id))
    .where(and(eq(payments.orderId, orderId), eq(payments.status, 'succeeded'), isNull(refunds.paymentId)));
  const owed: Refund[] = [];
  for (const { payments: payment } of charged) {
    if (!payment.providerChargeId)
      throw new Error(`succeeded payment ${payment.id} has no provider charge id`);
    const [added] = await tx
      .insert(refunds)
      .values({
        paymentId: payment.id,
        orderId,
        chargeId: payment.providerChargeId,
        amountCents: payment.amountCents,
        idempotencyKey: refundKeyFor(payment.id),
      })
      .onConflictDoNothing()
      .returning();
    if (!added) continue;
    owed.push(added);
    logger.warn(
      {
        orderId,
        paymentId: payment.id,
        chargeId: payment.providerChargeId,
        amountCents: payment.amountCents,
      },
      'refund owed for a payment of a cancelled order',
    );
  }
  return owed;
}

/** order.cancelled: the replica's order is cancelled (version gated), and a payment it already took is owed back. */
export async function recordOrderCancelled(
  tx: Tx,
  change: { id: string; version: number },
  logger: Logger,
): Promise<void> {
  await recordOrderStatus(tx, change, 'cancelled');
  await recordRefundsOwed(tx, change.id, logger);
}

/** How the refund worker spaces its attempts at one refund. */
export interface RefundRetryPolicy {
  /** The wait after the first failed attempt; each further failure doubles it… */
  baseDelayMs: number;
  /** …up to this. */
  maxDelayMs: number;
  /**
   * How long a claimed refund is left to the worker that claimed it before another may take it
   * (that worker died mid-call): longer than a provider call can take.
   */
  leaseMs: number;
}

/** The wait before the next attempt after `attempts` failed ones: exponential, capped. */
export function refundRetryDelayMs(attempts: number, policy: RefundRetryPolicy): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
}

const msInterval = (ms: number) => sql`make_interval(secs => ${ms / 1000})`;

/**
 * Claims the pending refund that has been due longest, or none. The row is taken with FOR UPDATE
 * SKIP LOCKED (replicas share the work) and, before the short transaction commits, its attempt
 * counted and `nextAttemptAt` pushed `leaseMs` out: a lease, so nobody else takes it while this
 * worker calls the provider, and a worker that dies mid-call leaves it due again once the lease
 * is over. Times are the database's, shared by all replicas.
 */
export async function claimDueRefund(db: Database, leaseMs: number): Promise<Refund | undefined> {
  return db.transaction(async (tx) => {
    const [due] = await tx
      .select({ paymentId: refunds.paymentId })
      .from(refunds)
      .where(and(eq(refunds.status, 'pending'), lte(refunds.nextAttemptAt, sql`now()`)))
      .orderBy(asc(refunds.nextAttemptAt))
      .limit(1)
      .for('update', { skipLocked: true });
    if (!due) return undefined;
    const [claimed] = await tx
      .update(refunds)
      .set({
        attempts: sql`${refunds.attempts} + 1`,
        nextAttemptAt: sql`now() + ${msInterval(leaseMs)}`,
      })
      .where(eq(refunds.paymentId, due.paymentId))
      .returning();
    return claimed;
  });
}

/**
 * The provider refunded: the refund and its payment are marked refunded together (once, whoever
 * records it first; a replayed result finds them done).
 */
export async function recordRefundSucceeded(tx: Tx, refund: Refund, providerRefundId: string): Promise<void> {
  const [done] = await tx
    .update(refunds)
    .set({ status: 'succeeded', providerRefundId, refundedAt: sql`now()`, lastError: null })
    .where(and(eq(refunds.paymentId, refund.paymentId), eq(refunds.status, 'pending')))
    .returning({ refundedAt: refunds.refundedAt });
  if (!done) return;
  await tx
    .update(payments)
    .set({ status: 'refunded', refundId: providerRefundId, refundedAt: done.refundedAt })
    .where(and(eq(payments.id, refund.paymentId), eq(payments.status, 'succeeded')));
}

/** The provider call failed: the refund stays pending, due again after `delayMs`. */
export async function recordRefundFailed(
  tx: Tx,
  refund: Refund,
  error: string,
  delayMs: number,
): Promise<void> {
  await tx
    .update(refunds)
    .set({ lastError: error.slice(0, 1000), nextAttemptAt: sql`now() + ${msInterval(delayMs)}` })
    .where(and(eq(refunds.paymentId, refund.paymentId), eq(refunds.status, 'pending')));
}

/** What one round of the refund worker did. */
export interface RefundRoundResult {
  refunded: number;
  /** Attempts that failed (each is retried after its backoff). */
  failed: number;
}

/** What a round of the refund worker needs besides the database and the provider. */
export interface RefundRoundOptions {
  policy: RefundRetryPolicy;
  /** A refund pending longer than this is logged as a warning at each failed attempt. */
  warnAfterMs: number;
  /** Asked before each claim: the refund in hand is always finished. */
  shouldStop?: () => boolean;
}

/**
 * One round of the refund worker: claims due refunds one at a time and, with no transaction open,
 * asks the provider to refund each (the payment's charge, in full, with the refund's own
 * idempotency key, so however often a refund is attempted, across crashes and replicas, the
 * provider pays back once), then records the outcome in a short transaction: refunded, or a
 * failure with its error and the next attempt backed off (`refundRetryDelayMs`). A refund is never
 * given up: one pending past `warnAfterMs` is logged as a warning at each failed attempt (and
 * counted by the refunds_overdue metric).
 */
export async function workOffDueRefunds(
  db: Database,
  provider: PaymentProvider,
  logger: Logger,
  { policy, warnAfterMs, shouldStop }: RefundRoundOptions,
): Promise<RefundRoundResult> {
  const result: RefundRoundResult = { refunded: 0, failed: 0 };
  while (!shouldStop?.()) {
    const refund = await claimDueRefund(db, policy.leaseMs);
    if (!refund) break;
    const log = logger.child({ orderId: refund.orderId, paymentId: refund.paymentId });
    let outcome: { refundId: string } | { error: unknown };
    try {
      outcome = await provider.refund({
        chargeId: refund.chargeId,
        amountCents: refund.amountCents,
        idempotencyKey: refund.idempotencyKey,
      });
    } catch (error) {
      // A programming error, not a provider failure: no backoff hides it (the lease runs out instead).
      if (error instanceof ProviderCallInTransactionError) throw error;
      outcome = { error };
    }
    if ('refundId' in outcome) {
      await db.transaction((tx) => recordRefundSucceeded(tx, refund, outcome.refundId));
      result.refunded += 1;
      log.info(
        { chargeId: refund.chargeId, refundId: outcome.refundId, attempts: refund.attempts },
        'payment refunded for a cancelled order',
      );
      continue;
    }
    const delayMs = refundRetryDelayMs(refund.attempts, policy);
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    await db.transaction((tx) => recordRefundFailed(tx, refund, message, delayMs));
    result.failed += 1;
    const pendingMs = Date.now() - refund.createdAt.getTime();
    const fields = { err: outcome.error, attempts: refund.attempts, retryInMs: delayMs, pendingMs };
    if (pendingMs > warnAfterMs) log.warn(fields, 'refund pending longer than REFUND_PENDING_WARN_SECONDS');
    else log.warn(fields, 'refund attempt failed; it is retried after a backoff');
  }
  return result;
}

/** Pending refunds as the refunds metrics report them. */
export interface PendingRefundFigures {
  pending: number;
  /** Pending longer than the warning threshold. */
  overdue: number;
  /** Age of the oldest pending refund in seconds (0 with none). */
  oldestAgeSeconds: number;
}

/** Counts pending refunds, and those pending longer than `warnAfterMs` (on the database's clock). */
export async function pendingRefundFigures(db: Database, warnAfterMs: number): Promise<PendingRefundFigures> {
  const [row] = await db
    .select({
      pending: sql<number>`count(*)::int`,
      overdue: sql<number>`(count(*) filter (where ${refunds.createdAt} < now() - ${msInterval(warnAfterMs)}))::int`,
      oldestAgeSeconds: sql<number>`coalesce(extract(epoch from now() - min(${refunds.createdAt})), 0)::float8`,
    })
    .from(refunds)
    .where(eq(refunds.status, 'pending'));
  return row ?? { pending: 0, overdue: 0, oldestAgeSeconds: 0 };
}
