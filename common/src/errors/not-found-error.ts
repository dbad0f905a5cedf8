import { HttpError } from './http-error';

/** 404: unknown route, unknown resource, or a malformed id in a path. */
export class NotFoundError extends HttpError {
  statusCode = 404;

  constructor(message = 'Not found') {
    super(message);
  }
}
