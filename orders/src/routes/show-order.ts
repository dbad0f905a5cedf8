import { Router, type Request } from 'express';
import { idParam, requireAuth } from '@ticketing/common';
import { getOwnOrder } from '../domain/orders';
import type { OrdersContext } from './context';

/** `GET /api/orders/:id` (signed in) → 200 Order; 404 unknown or malformed id; 401 someone else's. */
export function showOrderRoute({ db }: OrdersContext): Router {
  return Router().get(
    '/api/orders/:id',
    requireAuth,
    idParam('Order not found'),
    async (req: Request<{ id: string }>, res) => {
      res.json(await getOwnOrder(db, { orderId: req.params.id, userId: req.currentUser!.id }));
    },
  );
}
