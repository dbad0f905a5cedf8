import { defineConsumer } from '@ticketing/common';
import { completeOrder } from '../domain/order-status';

/** `payment.created` → completes the order unless it was cancelled. */
export const paymentCreatedConsumer = defineConsumer('payment.created', async (tx, event, { logger }) => {
  const { orderId, id: paymentId } = event.data;
  const outcome = await completeOrder(tx, orderId);
  switch (outcome) {
    case 'unknown':
      logger.warn({ orderId, paymentId }, 'payment for an unknown order ignored');
      break;
    case 'refused':
      // Payments refuses cancelled orders; a payment that still lands on one needs a human (a refund).
      logger.error({ orderId, paymentId }, 'payment for a cancelled order not applied');
      break;
    default:
      logger.info({ orderId, paymentId, outcome }, 'order payment applied');
  }
});
