import { and, eq } from 'drizzle-orm';
import type { Logger, Tx } from '@ticketing/common';
import { orders, payments } from '../db/schema';
import type { PaymentProvider } from '../providers';
import { recordOrderStatus } from './order-replica';

/** The refund's idempotency key: one per payment, so a retried refund never pays back twice. */
export function refundKeyFor(paymentId: string): string {
  return `refund_${paymentId}`;
}

/**
 * The compensation for a payment that lands on a cancelled order (events on different subjects
 * are not ordered, so orders may cancel an order that payments has just charged): when the
 * replica says the order is cancelled, every succeeded payment of it is refunded in full and
 * marked refunded, in `tx`. The order row is locked first, as the second transaction of a payment
 * does, so a payment and a cancellation of one order take turns and neither misses the other.
 * A provider failure throws (the caller's transaction rolls back and the work is retried); the
 * refund's idempotency key makes the retry safe.
 */
export async function refundIfOrderCancelled(
  tx: Tx,
  provider: PaymentProvider,
  orderId: string,
  logger: Logger,
): Promise<void> {
  const [order] = await tx
    .select({ status: orders.status })
    .from(orders)
    .where(eq(orders.id, orderId))
    .for('update');
  if (order?.status !== 'cancelled') return;
  const charged = await tx
    .select()
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.status, 'succeeded')))
    .for('update');
  for (const payment of charged) {
    if (!payment.providerChargeId)
      throw new Error(`succeeded payment ${payment.id} has no provider charge id`);
    const { refundId } = await provider.refund({
      chargeId: payment.providerChargeId,
      amountCents: payment.amountCents,
      idempotencyKey: refundKeyFor(payment.id),
    });
    await tx
      .update(payments)
      .set({ status: 'refunded', refundId, refundedAt: new Date() })
      .where(eq(payments.id, payment.id));
    logger.warn(
      {
        orderId,
        paymentId: payment.id,
        chargeId: payment.providerChargeId,
        refundId,
        amountCents: payment.amountCents,
      },
      'payment refunded for a cancelled order',
    );
  }
}

/** order.cancelled: the replica's order is cancelled (version gated), then a payment it already took is refunded. */
export async function recordOrderCancelled(
  tx: Tx,
  provider: PaymentProvider,
  change: { id: string; version: number },
  logger: Logger,
): Promise<void> {
  await recordOrderStatus(tx, change, 'cancelled');
  await refundIfOrderCancelled(tx, provider, change.id, logger);
}
