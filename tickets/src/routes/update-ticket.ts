import { Router } from 'express';
import { idParam, priceToCents, rejectUnknownFields, requireAuth, validateRequest } from '@ticketing/common';
import { updateTicket } from '../domain/tickets';
import type { TicketsContext } from './context';
import { priceField, titleField } from './ticket-fields';

/**
 * `PUT /api/tickets/:id` `{ title, price }` (signed in) → 200 Ticket with version + 1, and `ticket.updated`.
 * 404 missing, 401 not the owner, 400 `Cannot edit a reserved ticket`.
 */
export function updateTicketRoute({ db }: TicketsContext): Router {
  return Router().put(
    '/api/tickets/:id',
    requireAuth,
    idParam(),
    rejectUnknownFields(['title', 'price'], { ignore: ['id', 'userId', 'version', 'orderId'] }),
    titleField(),
    priceField(),
    validateRequest,
    async (req, res) => {
      const details = { title: req.body.title as string, priceCents: priceToCents(req.body.price as number) };
      const ticket = await db.transaction((tx) =>
        updateTicket(tx, req.params.id as string, req.currentUser!.id, details),
      );
      res.status(200).json(ticket);
    },
  );
}
