import { defineConsumer } from '@ticketing/common';
import { recordOrderStatus } from '../domain/order-replica';

/** order.cancelled → the replica's order is cancelled (no longer payable). */
export const orderCancelledConsumer = defineConsumer('order.cancelled', (tx, event) =>
  recordOrderStatus(tx, event.data, 'cancelled'),
);
