import type { RequestHandler } from 'express';
import { validationResult, type ValidationError } from 'express-validator';
import { RequestValidationError, type ErrorEntry } from '../errors';

function messageOf(msg: unknown): string {
  return typeof msg === 'string' ? msg : 'Invalid value';
}

function toEntries(error: ValidationError): ErrorEntry[] {
  switch (error.type) {
    case 'field':
      return [{ message: messageOf(error.msg), field: error.path }];
    case 'unknown_fields':
      return error.fields.map((f) => ({ message: 'Unknown field', field: f.path }));
    default:
      // oneOf(): the alternatives failed as a whole, no single field to blame.
      return [{ message: messageOf(error.msg) }];
  }
}

/** Turns express-validator results into a 400 with one entry per bad field (its first message). */
export const validateRequest: RequestHandler = (req, _res, next) => {
  const result = validationResult(req);
  if (result.isEmpty()) return next();

  const byField = new Map<string, ErrorEntry>();
  const unnamed: ErrorEntry[] = [];
  for (const entry of result.array().flatMap(toEntries)) {
    if (entry.field === undefined) unnamed.push(entry);
    else if (!byField.has(entry.field)) byField.set(entry.field, entry);
  }
  next(new RequestValidationError([...byField.values(), ...unnamed]));
};
