import { Router } from 'express';
import { body } from 'express-validator';
import { rejectUnknownFields, requireAuth, validateRequest } from '@ticketing/common';
import { placeOrder } from '../domain/place-order';
import type { OrdersContext } from './context';

/** `POST /api/orders` `{ ticketId }` (signed in) → 201 Order; 429 with `Retry-After` past the buyer's unpaid-order limit. */
export function createOrderRoute({ db, config }: OrdersContext): Router {
  return Router().post(
    '/api/orders',
    requireAuth,
    rejectUnknownFields(['ticketId']),
    body('ticketId')
      .isString()
      .withMessage('ticketId must be provided')
      .bail()
      .isUUID()
      .withMessage('ticketId must be a valid id'),
    validateRequest,
    async (req, res) => {
      const order = await db.transaction((tx) =>
        placeOrder(tx, {
          userId: req.currentUser!.id,
          ticketId: req.body.ticketId,
          windowSeconds: config.EXPIRATION_WINDOW_SECONDS,
          maxLiveOrdersPerUser: config.MAX_LIVE_ORDERS_PER_USER,
        }),
      );
      res.status(201).json(order);
    },
  );
}
