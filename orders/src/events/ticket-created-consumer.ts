import { defineConsumer } from '@ticketing/common';
import { applyTicketVersion } from '../domain/ticket-replica';

/** `ticket.created` → the ticket enters the replica at version 0 (a repeat changes nothing). */
export const ticketCreatedConsumer = defineConsumer('ticket.created', async (tx, event, { logger }) => {
  const applied = await applyTicketVersion(tx, event.data);
  if (!applied)
    logger.info({ ticketId: event.data.id, version: event.data.version }, 'ticket version already held');
});
