import type { Logger } from './logger';

/** The signed-in user, as carried by the session JWT. */
export interface UserPayload {
  id: string;
  email: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** A request that carries an `Idempotency-Key`, as `idempotencyKey` reads it. */
export interface IdempotentRequest {
  /** The signed-in user: keys are scoped to them. */
  userId: string;
  key: string;
  method: string;
  /** The request's path (with any query). */
  path: string;
  /** sha-256 (hex) of the canonical JSON of the body. */
  fingerprint: string;
  /** How long the key and its answer are remembered. */
  retentionMs: number;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `currentUser`; undefined when signed out. */
      currentUser?: UserPayload;
      /** Set by `requestContext`. */
      requestId?: string;
      /** Request-scoped child logger (with `requestId`), set by `requestContext`. */
      log?: Logger;
      /** Set by `idempotencyKey` when the request carries an `Idempotency-Key`. */
      idempotency?: IdempotentRequest;
    }
  }
}
