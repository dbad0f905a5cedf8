import { Router } from 'express';
import { body } from 'express-validator';
import {
  idempotencyKey,
  idempotentTransaction,
  rejectUnknownFields,
  requireAuth,
  sendAnswer,
  validateRequest,
} from '@ticketing/common';
import { placeOrder } from '../domain/place-order';
import type { OrdersContext } from './context';

/**
 * `POST /api/orders` `{ ticketId }` (signed in) → 201 Order; 429 with `Retry-After` past the buyer's
 * unpaid-order limit. With an `Idempotency-Key`, a repeat replays the 201 of the order it placed
 * (rather than "Ticket is already reserved" about the buyer's own order).
 */
export function createOrderRoute({ db, config }: OrdersContext): Router {
  return Router().post(
    '/api/orders',
    requireAuth,
    idempotencyKey({ retentionHours: config.IDEMPOTENCY_KEY_RETENTION_HOURS }),
    rejectUnknownFields(['ticketId']),
    body('ticketId')
      .isString()
      .withMessage('ticketId must be provided')
      .bail()
      .isUUID()
      .withMessage('ticketId must be a valid id'),
    validateRequest,
    async (req, res) => {
      const answer = await idempotentTransaction(db, req.idempotency, async (tx) => ({
        status: 201,
        body: await placeOrder(tx, {
          userId: req.currentUser!.id,
          ticketId: req.body.ticketId,
          windowSeconds: config.EXPIRATION_WINDOW_SECONDS,
          maxLiveOrdersPerUser: config.MAX_LIVE_ORDERS_PER_USER,
        }),
      }));
      sendAnswer(res, answer);
    },
  );
}
