import { Router } from 'express';
import type { Database } from '@ticketing/common';
import { listTicketsForSale } from '../domain/tickets';

/** `GET /api/tickets` → 200 the tickets for sale (not reserved, not sold), oldest first. */
export function listTicketsRoute(db: Database): Router {
  return Router().get('/api/tickets', async (_req, res) => {
    res.status(200).json(await listTicketsForSale(db));
  });
}
