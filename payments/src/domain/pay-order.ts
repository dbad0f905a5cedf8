import { BadRequestError, PaymentRequiredError, type Database, type Logger } from '@ticketing/common';
import type { PaymentProvider } from '../providers';
import { beginPaymentAttempt, recordChargeDeclined, recordChargeSucceeded } from './payment-attempts';
import { refundIfOrderCancelled } from './refunds';

/**
 * Pays an order: opens an attempt (committed before the provider is called, so concurrent
 * requests see it), charges the provider with the attempt's idempotency key, then records the
 * outcome, with payment.created in the same transaction on success. A declined card → 402 and the
 * order stays payable. If the provider's answer is unknown (it rejects) or this process dies, the
 * attempt stays pending; after STALE_ATTEMPT_MS the next request resumes it with the same key,
 * so the provider charges at most once. If the order was cancelled while the provider was
 * charging, the charge is refunded at once and the answer is 400, with no payment.created.
 */
export async function payOrder(
  db: Database,
  provider: PaymentProvider,
  input: { orderId: string; userId: string; token: string },
  logger: Logger,
): Promise<{ id: string }> {
  const attempt = await db.transaction((tx) => beginPaymentAttempt(tx, { ...input, now: new Date() }));
  const log = logger.child({ orderId: attempt.orderId, paymentId: attempt.id });
  if (attempt.resumed) log.warn('resuming an abandoned payment attempt');

  const result = await provider.charge({
    amountCents: attempt.amountCents,
    currency: 'usd',
    token: attempt.token,
    idempotencyKey: attempt.idempotencyKey,
    description: `Ticketing order ${attempt.orderId}`,
  });

  if (result.status === 'declined') {
    await db.transaction((tx) => recordChargeDeclined(tx, attempt.id, result.message));
    log.info({ reason: result.message }, 'payment declined');
    throw new PaymentRequiredError('Your card was declined');
  }
  const recorded = await db.transaction((tx) => recordChargeSucceeded(tx, attempt, result.chargeId));
  if (recorded === 'order-cancelled') {
    try {
      await db.transaction((tx) => refundIfOrderCancelled(tx, provider, attempt.orderId, log));
    } catch (err) {
      // The payment stays succeeded on a cancelled order, where an operator (and the invariant check) sees it.
      log.error({ err, chargeId: result.chargeId }, 'refund of a payment for a cancelled order failed');
      throw err;
    }
    throw new BadRequestError('Cannot pay for a cancelled order');
  }
  log.info({ chargeId: result.chargeId }, 'payment succeeded');
  return { id: attempt.id };
}
