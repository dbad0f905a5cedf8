import { Router } from 'express';
import {
  pageCursors,
  pageLinks,
  pageRequest,
  RequestValidationError,
  singleQueryValue,
} from '@ticketing/common';
import { listTicketsForSale } from '../domain/tickets';
import type { TicketsContext } from './context';

/** The longest search, in characters: longer than any useful part of a 120-character title. */
export const MAX_SEARCH_LENGTH = 100;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** `q`: trimmed; empty or absent means no search; over 100 characters or with control characters, a 400. */
function searchOf(query: Record<string, unknown>): string | undefined {
  const q = singleQueryValue(query, 'q')?.trim();
  if (!q) return undefined;
  if ([...q].length > MAX_SEARCH_LENGTH)
    throw new RequestValidationError([
      { message: `q must be at most ${MAX_SEARCH_LENGTH} characters`, field: 'q' },
    ]);
  if (CONTROL_CHARACTERS.test(q))
    throw new RequestValidationError([{ message: 'q must not contain control characters', field: 'q' }]);
  return q;
}

/**
 * `GET /api/tickets?limit&cursor&q` → 200 one page of the tickets for sale (not reserved, not
 * sold), oldest first, `q` matching part of the title in any case; `Link` announces the next and
 * previous pages. 400 on a bad `limit`, `cursor` or `q`.
 */
export function listTicketsRoute({ db, config }: TicketsContext): Router {
  const cursors = pageCursors(config.JWT_KEY, 'tickets');
  return Router().get('/api/tickets', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const search = searchOf(query);
    const page = pageRequest(query, cursors);
    const result = await listTicketsForSale(db, { page, search });
    const link = pageLinks(
      '/api/tickets',
      { limit: singleQueryValue(query, 'limit'), q: search },
      result,
      cursors,
    );
    if (link) res.set('Link', link);
    res.status(200).json(result.items);
  });
}
