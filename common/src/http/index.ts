export type { UserPayload } from './types';
export { createLogger, silentLogger, type Logger, type LoggerOptions } from './logger';
export { requestContext } from './request-context';
export { securityHeaders } from './security-headers';
export { traceResponse } from './trace-response';
export { errorHandler } from './error-handler';
export { notFoundHandler } from './not-found-handler';
export { idParam } from './id-param';
export { validateRequest } from './validate-request';
export { rejectUnknownFields, type RejectUnknownFieldsOptions } from './reject-unknown-fields';
export { jsonBody, type JsonBodyOptions } from './json-body';
export {
  SESSION_COOKIE,
  signSession,
  verifySession,
  setSessionCookie,
  clearSessionCookie,
  encodeSessionCookie,
  decodeSessionCookie,
  type SignSessionOptions,
} from './session';
export { currentUser } from './current-user';
export { requireAuth } from './require-auth';
export { createMetrics, type Metrics } from './metrics';
export { healthRoutes, type HealthOptions } from './health';
export { createApp, type CreateAppOptions } from './create-app';
export {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  IDEMPOTENCY_KEY_INVALID_MESSAGE,
  IDEMPOTENCY_KEY_IN_PROGRESS_MESSAGE,
  IDEMPOTENCY_KEY_REUSED_MESSAGE,
  canonicalJson,
  fingerprintOf,
  idempotencyKey,
  sendAnswer,
  idempotentTransaction,
  withIdempotencyKey,
  findIdempotencyRecord,
  claimIdempotencyKey,
  completeIdempotencyKey,
  type IdempotentRequest,
  type IdempotentAnswer,
  type IdempotencyRecord,
  type StoredResponse,
} from './idempotency';
export { IdempotencyKeyJanitor, type IdempotencyKeyJanitorOptions } from './idempotency-key-janitor';
export {
  pageLimits,
  pageCursors,
  pageRequest,
  pageLinks,
  singleQueryValue,
  type KeysetPosition,
  type Page,
  type PageCursor,
  type PageCursors,
  type PageRequest,
} from './pagination';
