import { defineConsumer } from '@ticketing/common';
import { reserveTicket } from '../domain/reservations';

/** `order.created` → reserve the ticket for the order (if it is free). */
export const orderCreatedConsumer = defineConsumer('order.created', async (tx, event, { logger }) => {
  const outcome = await reserveTicket(tx, { orderId: event.data.id, ticketId: event.data.ticket.id });
  logger.info({ orderId: event.data.id, ticketId: event.data.ticket.id, outcome }, 'order created');
});
