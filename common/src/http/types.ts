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
    }
  }
}
