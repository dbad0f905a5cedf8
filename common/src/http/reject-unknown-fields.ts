import type { RequestHandler } from 'express';
import { BadRequestError, RequestValidationError } from '../errors';

/** Options of `rejectUnknownFields`. */
export interface RejectUnknownFieldsOptions {
  /** Keys the caller may send but must not set (e.g. `userId`, `version`): silently dropped. */
  ignore?: string[];
}

/** Requires a JSON object body: drops `ignore`d keys, and answers 400 (one entry per key) for any other key not in `allowed`. */
export function rejectUnknownFields(
  allowed: string[],
  { ignore = [] }: RejectUnknownFieldsOptions = {},
): RequestHandler {
  const allowedSet = new Set(allowed);
  const ignoredSet = new Set(ignore);
  return (req, _res, next) => {
    // No body at all: let the field validators report each missing field.
    if (req.body === undefined) req.body = {};
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return next(new BadRequestError('Request body must be a JSON object'));
    }

    const record = body as Record<string, unknown>;
    const unknown: string[] = [];
    for (const key of Object.keys(record)) {
      if (allowedSet.has(key)) continue;
      if (ignoredSet.has(key)) delete record[key];
      else unknown.push(key);
    }
    if (unknown.length > 0) {
      return next(new RequestValidationError(unknown.map((field) => ({ message: 'Unknown field', field }))));
    }
    next();
  };
}
