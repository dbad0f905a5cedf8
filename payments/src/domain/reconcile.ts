import { and, asc, eq, lt, sql } from 'drizzle-orm';
import type { Database, Logger } from '@ticketing/common';
import { payments, type Payment } from '../db/schema';
import { ProviderCallInTransactionError, type PaymentProvider } from '../providers';
import { STALE_ATTEMPT_MS } from './payment-attempts';
import { settleAttempt } from './settle-attempt';

/**
 * Claims the oldest pending attempt whose provider call started more than STALE_ATTEMPT_MS ago
 * (its process died, or its request failed with the outcome unknown), or none. The row is taken
 * with FOR UPDATE SKIP LOCKED and its `attemptedAt` set to now before the short transaction
 * commits: that is a lease, so another replica's reconciler (or a buyer's retry) sees the attempt
 * as in progress for the next STALE_ATTEMPT_MS instead of resuming it too. Nothing the reconciler
 * does keeps a transaction (or a lock) open while the provider is called: the claim has committed,
 * `settleAttempt` records the outcome in a transaction of its own, and a refund the outcome owes
 * is left to the refund worker (the provider refuses calls inside a transaction). Staleness is measured on the database's clock, shared by all replicas.
 */
export async function claimStaleAttempt(db: Database): Promise<Payment | undefined> {
  return db.transaction(async (tx) => {
    const [stale] = await tx
      .select()
      .from(payments)
      .where(
        and(
          eq(payments.status, 'pending'),
          lt(payments.attemptedAt, sql`now() - make_interval(secs => ${STALE_ATTEMPT_MS / 1000})`),
        ),
      )
      .orderBy(asc(payments.attemptedAt))
      .limit(1)
      .for('update', { skipLocked: true });
    if (!stale) return undefined;
    const [claimed] = await tx
      .update(payments)
      .set({ attemptedAt: sql`now()` })
      .where(eq(payments.id, stale.id))
      .returning();
    return claimed;
  });
}

/** What one round of the reconciler did. */
export interface ReconcileResult {
  /** Attempts brought to a final state (succeeded, declined, or charged with a refund owed). */
  settled: number;
  /** Attempts left pending (provider error or unknown outcome); resumed once stale again. */
  failed: number;
}

/**
 * One round of the reconciler: claims stale pending attempts one at a time and settles each with
 * `settleAttempt` (the same path as POST /api/payments): the provider, asked again with the
 * attempt's own key, token and amount, replays the original result when the charge was made, or
 * makes it now. Succeeded → payment.created; on an order cancelled meanwhile → a refund owed,
 * which the refund worker makes (so an attempt on a cancelled order whose charge never reached the
 * provider ends charged and refunded: with no way to ask the provider whether a key was used,
 * charging by the key is the only way to be sure no charge is left standing); declined → closed. A provider error leaves the attempt pending
 * and is logged. Stops claiming once `shouldStop` says so; the attempt in hand is always finished.
 */
export async function reconcileStaleAttempts(
  db: Database,
  provider: PaymentProvider,
  logger: Logger,
  options: { shouldStop?: () => boolean } = {},
): Promise<ReconcileResult> {
  const result: ReconcileResult = { settled: 0, failed: 0 };
  while (!options.shouldStop?.()) {
    const attempt = await claimStaleAttempt(db);
    if (!attempt) break;
    const log = logger.child({ orderId: attempt.orderId, paymentId: attempt.id });
    log.warn('resuming an abandoned payment attempt');
    try {
      const outcome = await settleAttempt(db, provider, attempt, log);
      result.settled += 1;
      log.info({ outcome: outcome.status }, 'abandoned payment attempt settled');
    } catch (err) {
      // A programming error, not a provider failure: it fails the round, not just this attempt.
      if (err instanceof ProviderCallInTransactionError) throw err;
      result.failed += 1;
      log.warn({ err }, 'abandoned payment attempt not settled; it stays pending for a later round');
    }
  }
  return result;
}
