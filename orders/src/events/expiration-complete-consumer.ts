import { defineConsumer } from '@ticketing/common';
import { expireOrder } from '../domain/order-status';

/** `expiration.complete` → cancels the order if it is still waiting for payment. */
export const expirationCompleteConsumer = defineConsumer(
  'expiration.complete',
  async (tx, event, { logger }) => {
    const outcome = await expireOrder(tx, event.data.orderId);
    if (outcome === 'unknown')
      logger.warn({ orderId: event.data.orderId }, 'expiration for an unknown order ignored');
    else logger.info({ orderId: event.data.orderId, outcome }, 'order expiry applied');
  },
);
