import { HttpError } from './http-error';

/**
 * 503: the service is too busy to take this request now (e.g. a full queue); the error handler
 * sends `Retry-After` when `retryAfterSeconds` is set.
 */
export class ServiceUnavailableError extends HttpError {
  statusCode = 503;

  constructor(
    message = 'The service is busy, try again shortly',
    override readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
