import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import { isDatabaseUnavailable } from '../db/database';
import {
  BadRequestError,
  HttpError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
} from '../errors';
import type { Logger } from './logger';
import './types';

/** A 4xx raised by the framework (e.g. a malformed path encoding), answered with a generic message. */
class ClientError extends HttpError {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Maps errors raised by express / body-parser (they carry `type` and `status`) to our error classes. */
function fromFrameworkError(err: unknown): HttpError | null {
  if (typeof err !== 'object' || err === null) return null;
  const { type, status, statusCode } = err as { type?: unknown; status?: unknown; statusCode?: unknown };
  switch (type) {
    case 'entity.too.large':
      return new PayloadTooLargeError();
    case 'entity.parse.failed':
      return new BadRequestError('Malformed JSON body');
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError('Unsupported content encoding');
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('Unsupported charset');
  }
  const code = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : NaN;
  if (code >= 400 && code < 500) {
    // A generic message only: framework messages may echo input or internals.
    return new ClientError(code, STATUS_CODES[code] ?? 'Bad request');
  }
  return null;
}

// A database that stopped answering is usually back within seconds (restart, failover).
const DATABASE_RETRY_AFTER_SECONDS = 5;

function send(res: Response, error: HttpError): void {
  if (error.retryAfterSeconds !== undefined) {
    res.setHeader('Retry-After', String(Math.max(0, Math.ceil(error.retryAfterSeconds))));
  }
  res.status(error.statusCode).json({ errors: error.serialize() });
}

/** The one middleware that writes every error response, in the contract's `{ errors: [...] }` shape. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);

    const known = err instanceof HttpError ? err : fromFrameworkError(err);
    if (known) return send(res, known);

    if (isDatabaseUnavailable(err)) {
      // Not a fault of this request: the database is slow or away; the client may retry shortly.
      (req.log ?? logger).warn({ err }, 'database unavailable');
      return send(
        res,
        new ServiceUnavailableError(
          'The service is unavailable, try again shortly',
          DATABASE_RETRY_AFTER_SECONDS,
        ),
      );
    }

    // A real fault: details go to the log under an id, the client only gets the id.
    const errorId = randomUUID();
    (req.log ?? logger).error({ err, errorId }, 'unhandled error');
    res.setHeader('X-Error-Id', errorId);
    res.status(500).json({ errors: [{ message: 'Something went wrong' }] });
  };
}
