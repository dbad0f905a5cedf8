import { HttpError } from './http-error';

/** 409: the request conflicts with one still in progress (e.g. the same `Idempotency-Key`). */
export class ConflictError extends HttpError {
  statusCode = 409;

  constructor(
    message: string,
    override readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
