import { defineConsumer } from '@ticketing/common';
import { sellTicket } from '../domain/reservations';

/** `order.completed` → the ticket is sold to the order, never for sale again. */
export const orderCompletedConsumer = defineConsumer('order.completed', async (tx, event, { logger }) => {
  const outcome = await sellTicket(tx, { orderId: event.data.id, ticketId: event.data.ticket.id });
  logger.info({ orderId: event.data.id, ticketId: event.data.ticket.id, outcome }, 'order completed');
});
