import type { RequestHandler } from 'express';
import { NotAuthorizedError } from '../errors';
import './types';

/** Rejects with 401 unless `currentUser` found a signed-in user. */
export const requireAuth: RequestHandler = (req, _res, next) => {
  next(req.currentUser ? undefined : new NotAuthorizedError());
};
