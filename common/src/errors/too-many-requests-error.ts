import { HttpError } from './http-error';

/** 429: too many attempts; the error handler sends `Retry-After` when `retryAfterSeconds` is set. */
export class TooManyRequestsError extends HttpError {
  statusCode = 429;

  constructor(
    message = 'Too many attempts, try again later',
    override readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
