import { HttpError } from './http-error';

/** 413: the request body exceeds the size limit. */
export class PayloadTooLargeError extends HttpError {
  statusCode = 413;

  constructor(message = 'Request body is too large') {
    super(message);
  }
}
