import { HttpError, type ErrorEntry } from './http-error';

/** 422: a well-formed request that cannot be processed as sent (e.g. a key reused for another request). */
export class UnprocessableContentError extends HttpError {
  statusCode = 422;

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
