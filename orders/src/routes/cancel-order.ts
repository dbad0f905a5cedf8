import { Router, type Request } from 'express';
import { idParam, requireAuth } from '@ticketing/common';
import { cancelOrder } from '../domain/order-status';
import type { OrdersContext } from './context';

/** `DELETE /api/orders/:id` (signed in) → 204; 404, 401 as for GET; 400 when the order is complete. */
export function cancelOrderRoute({ db }: OrdersContext): Router {
  return Router().delete(
    '/api/orders/:id',
    requireAuth,
    idParam('Order not found'),
    async (req: Request<{ id: string }>, res) => {
      await db.transaction((tx) => cancelOrder(tx, { orderId: req.params.id, userId: req.currentUser!.id }));
      res.status(204).end();
    },
  );
}
