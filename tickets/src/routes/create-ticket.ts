import { Router } from 'express';
import {
  idempotencyKey,
  idempotentTransaction,
  priceToCents,
  rejectUnknownFields,
  requireAuth,
  sendAnswer,
  validateRequest,
} from '@ticketing/common';
import { createTicket } from '../domain/tickets';
import type { TicketsContext } from './context';
import { priceField, titleField } from './ticket-fields';

/**
 * `POST /api/tickets` `{ title, price }` (signed in) → 201 Ticket at version 0, and `ticket.created`.
 * With an `Idempotency-Key`, a repeat of the request lists nothing more and replays the 201.
 */
export function createTicketRoute({ db, config }: TicketsContext): Router {
  return Router().post(
    '/api/tickets',
    requireAuth,
    idempotencyKey({ retentionHours: config.IDEMPOTENCY_KEY_RETENTION_HOURS }),
    rejectUnknownFields(['title', 'price'], { ignore: ['id', 'userId', 'version', 'orderId'] }),
    titleField(),
    priceField(),
    validateRequest,
    async (req, res) => {
      const details = { title: req.body.title as string, priceCents: priceToCents(req.body.price as number) };
      const answer = await idempotentTransaction(db, req.idempotency, async (tx) => ({
        status: 201,
        body: await createTicket(tx, req.currentUser!.id, details),
      }));
      sendAnswer(res, answer);
    },
  );
}
