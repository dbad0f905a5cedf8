import { Router } from 'express';
import { requireAuth } from '@ticketing/common';
import { listOrdersOf } from '../domain/orders';
import type { OrdersContext } from './context';

/** `GET /api/orders` (signed in) → 200 the caller's orders, oldest first. */
export function listOrdersRoute({ db }: OrdersContext): Router {
  return Router().get('/api/orders', requireAuth, async (req, res) => {
    res.json(await listOrdersOf(db, req.currentUser!.id));
  });
}
