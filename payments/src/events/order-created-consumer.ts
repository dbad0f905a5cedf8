import { defineConsumer } from '@ticketing/common';
import { recordOrderCreated } from '../domain/order-replica';

/** order.created → the order joins the replica, payable by its buyer. */
export const orderCreatedConsumer = defineConsumer('order.created', (tx, event) =>
  recordOrderCreated(tx, event.data),
);
