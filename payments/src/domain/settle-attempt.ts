import type { Database, Logger } from '@ticketing/common';
import type { Payment } from '../db/schema';
import type { PaymentProvider } from '../providers';
import { recordChargeDeclined, recordChargeSucceeded } from './payment-attempts';

/** What became of a settled attempt. */
export type SettleOutcome =
  | { status: 'succeeded'; chargeId: string }
  | { status: 'declined'; message: string }
  /**
   * The charge went through but the order had been cancelled: no payment.created, and a refund
   * of it is owed (committed with the charge; the refund worker makes it).
   */
  | { status: 'refund-owed'; chargeId: string };

/** The fields of a pending attempt that settling it needs (all stored on the row). */
export type AttemptToSettle = Pick<Payment, 'id' | 'orderId' | 'amountCents' | 'token' | 'idempotencyKey'>;

/**
 * Charges a pending attempt with its own idempotency key, token and amount (a first call charges;
 * a repeat, e.g. resuming an abandoned attempt, gets the provider's original result and charges
 * nothing), then records the outcome in a transaction of its own: succeeded → payment.created in
 * it, or, when the order was cancelled meanwhile, a refund owed in it (the refund worker pays it
 * back); declined → the attempt is closed. The one path from "pending" to a final state, shared
 * by POST /api/payments and the reconciler. No transaction is open while the provider is called.
 * Rejects when the provider's answer is unknown (the attempt stays pending, to be resumed with
 * the same key).
 */
export async function settleAttempt(
  db: Database,
  provider: PaymentProvider,
  attempt: AttemptToSettle,
  logger: Logger,
): Promise<SettleOutcome> {
  const result = await provider.charge({
    amountCents: attempt.amountCents,
    currency: 'usd',
    token: attempt.token,
    idempotencyKey: attempt.idempotencyKey,
    description: `Ticketing order ${attempt.orderId}`,
  });

  if (result.status === 'declined') {
    await db.transaction((tx) => recordChargeDeclined(tx, attempt.id, result.message));
    logger.info({ reason: result.message }, 'payment declined');
    return { status: 'declined', message: result.message };
  }
  const recorded = await db.transaction((tx) => recordChargeSucceeded(tx, attempt, result.chargeId, logger));
  if (recorded === 'order-cancelled') return { status: 'refund-owed', chargeId: result.chargeId };
  logger.info({ chargeId: result.chargeId }, 'payment succeeded');
  return { status: 'succeeded', chargeId: result.chargeId };
}
