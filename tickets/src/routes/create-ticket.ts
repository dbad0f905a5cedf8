import { Router } from 'express';
import { priceToCents, rejectUnknownFields, requireAuth, validateRequest } from '@ticketing/common';
import { createTicket } from '../domain/tickets';
import type { TicketsContext } from './context';
import { priceField, titleField } from './ticket-fields';

/** `POST /api/tickets` `{ title, price }` (signed in) → 201 Ticket at version 0, and `ticket.created`. */
export function createTicketRoute({ db }: TicketsContext): Router {
  return Router().post(
    '/api/tickets',
    requireAuth,
    rejectUnknownFields(['title', 'price'], { ignore: ['id', 'userId', 'version', 'orderId'] }),
    titleField(),
    priceField(),
    validateRequest,
    async (req, res) => {
      const details = { title: req.body.title as string, priceCents: priceToCents(req.body.price as number) };
      const ticket = await db.transaction((tx) => createTicket(tx, req.currentUser!.id, details));
      res.status(201).json(ticket);
    },
  );
}
