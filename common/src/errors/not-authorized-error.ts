import { HttpError } from './http-error';

/** 401: not signed in, or not the owner of the resource. */
export class NotAuthorizedError extends HttpError {
  statusCode = 401;

  constructor(message = 'Not authorized') {
    super(message);
  }
}
