import { HttpError, type ErrorEntry } from './http-error';

/** 400: a broken business rule or a bad input, optionally naming the body field. */
export class BadRequestError extends HttpError {
  statusCode = 400;

  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }

  override serialize(): ErrorEntry[] {
    return this.field === undefined
      ? [{ message: this.message }]
      : [{ message: this.message, field: this.field }];
  }
}
