import { Router } from 'express';
import { pageCursors, pageLinks, pageRequest, requireAuth, singleQueryValue } from '@ticketing/common';
import { listOrdersOf } from '../domain/orders';
import type { OrdersContext } from './context';

/**
 * `GET /api/orders?limit&cursor` (signed in) → 200 one page of the caller's orders, newest first;
 * `Link` announces the next and previous pages. 400 on a bad `limit` or `cursor`.
 */
export function listOrdersRoute({ db, config }: OrdersContext): Router {
  const cursors = pageCursors(config.JWT_KEY, 'orders');
  return Router().get('/api/orders', requireAuth, async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const page = pageRequest(query, cursors);
    const result = await listOrdersOf(db, req.currentUser!.id, page);
    const link = pageLinks('/api/orders', { limit: singleQueryValue(query, 'limit') }, result, cursors);
    if (link) res.set('Link', link);
    res.json(result.items);
  });
}
