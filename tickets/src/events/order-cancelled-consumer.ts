import { defineConsumer } from '@ticketing/common';
import { releaseTicket } from '../domain/reservations';

/** `order.cancelled` → free the ticket if this very order holds it. */
export const orderCancelledConsumer = defineConsumer('order.cancelled', async (tx, event, { logger }) => {
  const outcome = await releaseTicket(tx, { orderId: event.data.id, ticketId: event.data.ticket.id });
  logger.info({ orderId: event.data.id, ticketId: event.data.ticket.id, outcome }, 'order cancelled');
});
