import { defineConsumer } from '@ticketing/common';
import { scheduleExpiration } from '../domain/schedule-expiration';

/** order.created → expiration.complete for the order, scheduled at its expiresAt. */
export const orderCreatedConsumer = defineConsumer('order.created', async (tx, event, { logger }) => {
  const { id: orderId, expiresAt } = event.data;
  const result = await scheduleExpiration(tx, { orderId, expiresAt: new Date(expiresAt) });
  logger.info({ orderId, expiresAt, result }, 'order expiry scheduled');
});
