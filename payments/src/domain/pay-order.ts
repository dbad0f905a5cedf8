import { BadRequestError, PaymentRequiredError, type Database, type Logger } from '@ticketing/common';
import type { PaymentProvider } from '../providers';
import { beginPaymentAttempt, type DeclineLimits } from './payment-attempts';
import { settleAttempt } from './settle-attempt';

/**
 * Pays an order: opens an attempt (committed before the provider is called, so concurrent
 * requests see it), then settles it (`settleAttempt`: charge with the attempt's idempotency key,
 * record the outcome, with payment.created in the same transaction on success). A declined card →
 * 402 and the order stays payable. If the provider's answer is unknown (it rejects) or this
 * process dies, the attempt stays pending; after STALE_ATTEMPT_MS the next request, or the
 * reconciler, resumes it with the same key, so the provider charges at most once. If the order
 * was cancelled while the provider was charging, the charge is refunded at once and the answer is
 * 400, with no payment.created.
 */
export async function payOrder(
  db: Database,
  provider: PaymentProvider,
  input: { orderId: string; userId: string; token: string },
  logger: Logger,
  declineLimits: DeclineLimits,
): Promise<{ id: string }> {
  const attempt = await db.transaction((tx) =>
    beginPaymentAttempt(tx, { ...input, now: new Date(), declineLimits }),
  );
  const log = logger.child({ orderId: attempt.orderId, paymentId: attempt.id });
  if (attempt.resumed) log.warn('resuming an abandoned payment attempt');

  const outcome = await settleAttempt(db, provider, attempt, log);
  if (outcome.status === 'declined') throw new PaymentRequiredError('Your card was declined');
  if (outcome.status === 'refund-owed') throw new BadRequestError('Cannot pay for a cancelled order');
  return { id: attempt.id };
}
