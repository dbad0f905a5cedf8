/** One entry of the contract's error body `{ errors: [{ message, field? }] }`. */
export interface ErrorEntry {
  message: string;
  field?: string;
}

/** Base of every error that maps to an HTTP response: status on the class, one serializer. */
export abstract class HttpError extends Error {
  abstract statusCode: number;
  /** When set, the error handler sends it as `Retry-After` (429, 503). */
  declare readonly retryAfterSeconds?: number;

  constructor(message: string) {
    super(message);
    // Keeps `instanceof` and the class name right whatever the compile target.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = new.target.name;
  }

  /** The entries of the response body's `errors` array. */
  serialize(): ErrorEntry[] {
    return [{ message: this.message }];
  }
}
