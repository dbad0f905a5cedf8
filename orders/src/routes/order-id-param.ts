import type { RequestHandler } from 'express';
import { param, validationResult } from 'express-validator';
import { NotFoundError } from '@ticketing/common';

/** Checks the `:id` path parameter: a malformed id names no order, so it is a 404 (not a 400). */
export function orderIdParam(): RequestHandler[] {
  const notFoundUnlessValid: RequestHandler = (req, _res, next) => {
    next(validationResult(req).isEmpty() ? undefined : new NotFoundError('Order not found'));
  };
  return [param('id').isUUID(), notFoundUnlessValid];
}
