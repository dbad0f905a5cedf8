import { defineConsumer } from '@ticketing/common';
import { applyTicketVersion } from '../domain/ticket-replica';

/**
 * `ticket.updated` → the replica takes the new title, price and version, in version order:
 * an old version is skipped, a version ahead of the next one waits (redelivered later).
 */
export const ticketUpdatedConsumer = defineConsumer('ticket.updated', async (tx, event, { logger }) => {
  const applied = await applyTicketVersion(tx, event.data);
  if (!applied)
    logger.info({ ticketId: event.data.id, version: event.data.version }, 'ticket version already held');
});
