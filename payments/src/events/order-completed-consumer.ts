import { defineConsumer } from '@ticketing/common';
import { recordOrderStatus } from '../domain/order-replica';

/** order.completed → the replica's order is complete (already paid). */
export const orderCompletedConsumer = defineConsumer('order.completed', (tx, event) =>
  recordOrderStatus(tx, event.data, 'complete'),
);
