import { Router } from 'express';
import type { Database } from '@ticketing/common';
import { createTicketRoute } from './create-ticket';
import { listTicketsRoute } from './list-tickets';
import { showTicketRoute } from './show-ticket';
import { updateTicketRoute } from './update-ticket';

/** Every route of tickets. */
export function ticketsRouter(db: Database): Router {
  return Router().use(
    createTicketRoute(db),
    listTicketsRoute(db),
    showTicketRoute(db),
    updateTicketRoute(db),
  );
}
