import { Router } from 'express';
import type { TicketsContext } from './context';
import { createTicketRoute } from './create-ticket';
import { listTicketsRoute } from './list-tickets';
import { showTicketRoute } from './show-ticket';
import { updateTicketRoute } from './update-ticket';

export type { TicketsContext } from './context';

/** Every route of tickets. */
export function ticketsRouter(context: TicketsContext): Router {
  return Router().use(
    createTicketRoute(context),
    listTicketsRoute(context),
    showTicketRoute(context),
    updateTicketRoute(context),
  );
}
