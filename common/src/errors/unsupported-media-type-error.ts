import { HttpError } from './http-error';

/** 415: the body is not JSON (or uses an encoding/charset the server does not accept). */
export class UnsupportedMediaTypeError extends HttpError {
  statusCode = 415;

  constructor(message = 'Content-Type must be application/json') {
    super(message);
  }
}
