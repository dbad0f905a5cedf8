import { HttpError, type ErrorEntry } from './http-error';

/** 400: input validation failed; one entry per bad field. */
export class RequestValidationError extends HttpError {
  statusCode = 400;

  constructor(readonly errors: ErrorEntry[]) {
    super('Invalid request');
  }

  override serialize(): ErrorEntry[] {
    return this.errors.map(({ message, field }) => (field === undefined ? { message } : { message, field }));
  }
}
