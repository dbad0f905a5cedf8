import { defineConsumer } from '@ticketing/common';
import { recordOrderCancelled } from '../domain/refunds';
import type { PaymentProvider } from '../providers';

/**
 * order.cancelled → the replica's order is cancelled (no longer payable), and a payment that
 * already succeeded for it is refunded through `provider`. A provider failure throws: the event
 * is retried with backoff and dead-lettered after the limit.
 */
export function orderCancelledConsumer(provider: PaymentProvider) {
  return defineConsumer('order.cancelled', (tx, event, { logger }) =>
    recordOrderCancelled(tx, provider, event.data, logger.child({ eventId: event.id })),
  );
}
