import { Router } from 'express';
import { idParam, NotFoundError } from '@ticketing/common';
import { findTicket } from '../domain/tickets';
import type { TicketsContext } from './context';

/** `GET /api/tickets/:id` → 200 Ticket (whatever its state), 404. */
export function showTicketRoute({ db }: TicketsContext): Router {
  return Router().get('/api/tickets/:id', idParam(), async (req, res) => {
    const ticket = await findTicket(db, req.params.id as string);
    if (!ticket) throw new NotFoundError();
    res.status(200).json(ticket);
  });
}
