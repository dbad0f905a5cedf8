import type { RequestHandler } from 'express';
import { NotFoundError } from '../errors';

/** Last route: any request nothing else handled gets 404 in the error shape. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => {
  next(new NotFoundError());
};
