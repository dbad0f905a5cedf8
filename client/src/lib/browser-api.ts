/**
 * Browser-side API calls from forms: same origin, relative `/api/...` URLs, cookies included.
 */
import { resultOf, toResult, unreachableResult, type ApiResult } from './api-core';

export async function sendJson<T>(
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<ApiResult<T>> {
  try {
    const res = await fetch(path, {
      method,
      credentials: 'include',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return await toResult<T>(res);
  } catch {
    return unreachableResult();
  }
}

/** A new `Idempotency-Key`: 128 random bits in hex (getRandomValues works outside secure contexts too). */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** How often a POST is sent again while the server says the first with its key is still running (409). */
const IN_PROGRESS_RETRIES = 5;
/** Sends again after no answer at all: once. */
const NETWORK_RETRIES = 1;

type Attempt<T> = { status: number; retryAfterSeconds: number; result: ApiResult<T> } | 'no answer';

async function attempt<T>(path: string, body: unknown, key: string): Promise<Attempt<T>> {
  try {
    const res = await fetch(path, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
    // Inside the try: a connection lost in the middle of the answer is no answer either.
    const text = await res.text();
    const retryAfterSeconds = Number(res.headers.get('retry-after') ?? '1');
    return { status: res.status, retryAfterSeconds, result: resultOf<T>(res.status, text) };
  } catch {
    return 'no answer';
  }
}

/**
 * POSTs one user intent with `Idempotency-Key: key`. When no answer arrives (the connection
 * failed, or dropped during the answer: the server may have acted) it is sent once more with the
 * same key, and the server answers the repeat with the first request's outcome instead of acting
 * twice. While the server says the first request is still running (409), it asks again after
 * `Retry-After`, a few times. Never rejects.
 */
export async function postOnce<T>(path: string, body: unknown, key: string): Promise<ApiResult<T>> {
  let networkRetries = NETWORK_RETRIES;
  let inProgressRetries = IN_PROGRESS_RETRIES;
  for (;;) {
    const answer = await attempt<T>(path, body, key);
    if (answer === 'no answer') {
      if (networkRetries-- > 0) continue;
      return unreachableResult();
    }
    if (answer.status === 409 && inProgressRetries-- > 0) {
      const seconds = Number.isFinite(answer.retryAfterSeconds) ? answer.retryAfterSeconds : 1;
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(seconds, 0.2), 5) * 1000));
      continue;
    }
    return answer.result;
  }
}
