import { Router } from 'express';
import { listTicketsForSale } from '../domain/tickets';
import type { TicketsContext } from './context';

/** `GET /api/tickets` → 200 the tickets for sale (not reserved, not sold), oldest first. */
export function listTicketsRoute({ db }: TicketsContext): Router {
  return Router().get('/api/tickets', async (_req, res) => {
    res.status(200).json(await listTicketsForSale(db));
  });
}
