import type { RequestHandler } from 'express';
import { NotFoundError } from '../errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Guards an `:id` route: an id that is not a UUID names no resource, so it is a 404 with
 * `notFoundMessage` (the message the route gives an unknown id), never a 400 or a database error.
 */
export function idParam(notFoundMessage?: string): RequestHandler {
  return (req, _res, next) => {
    next(UUID.test(String(req.params.id)) ? undefined : new NotFoundError(notFoundMessage));
  };
}
