import { defineConsumer } from '@ticketing/common';
import { completeOrder } from '../domain/order-status';

/** `payment.created` → completes the order unless it was cancelled (then payments refunds the payment). */
export const paymentCreatedConsumer = defineConsumer('payment.created', async (tx, event, { logger }) => {
  const { orderId, id: paymentId } = event.data;
  const outcome = await completeOrder(tx, orderId);
  switch (outcome) {
    case 'unknown':
      logger.warn({ orderId, paymentId }, 'payment for an unknown order ignored');
      break;
    case 'refused':
      // The order was cancelled (e.g. it expired) before this payment arrived: events on different
      // subjects are not ordered. The order stays cancelled; payments refunds the charge when it
      // applies order.cancelled.
      logger.warn({ orderId, paymentId }, 'payment for a cancelled order: payments refunds it');
      break;
    default:
      logger.info({ orderId, paymentId, outcome }, 'order payment applied');
  }
});
