import { defineConsumer } from '@ticketing/common';
import { recordOrderCancelled } from '../domain/refunds';

/**
 * order.cancelled → the replica's order is cancelled (no longer payable), and a payment that
 * already succeeded for it is owed back: a pending refund is committed with the event, and the
 * refund worker makes it. The provider is not called here, so its outages cannot hold up or
 * dead-letter the cancellation.
 */
export const orderCancelledConsumer = defineConsumer('order.cancelled', (tx, event, { logger }) =>
  recordOrderCancelled(tx, event.data, logger.child({ eventId: event.id })),
);
