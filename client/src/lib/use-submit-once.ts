'use client';

import { useCallback, useRef } from 'react';
import type { ApiResult } from './api-core';
import { newIdempotencyKey, postOnce } from './browser-api';

/** Whether an answer settles the intent: anything but no answer, 409 (still running) or a 5xx. */
function settled(result: ApiResult<unknown>): boolean {
  return result.ok || (!result.unreachable && result.status !== 409 && result.status < 500);
}

/**
 * One form's POSTs, each a user intent sent at most once. A submission while the previous one is
 * still in flight (a double click) sends nothing and resolves `undefined`: the first one's answer is
 * what the user sees. Each intent carries an `Idempotency-Key` kept across its own retries (see
 * `postOnce`), and kept after an unknown outcome (no answer, 409, 5xx) when the user submits the
 * same thing again, so a lost answer can never make a second ticket, order or charge. A settled
 * answer, or a changed body, starts a new intent with a new key.
 */
export function useSubmitOnce() {
  const inFlight = useRef(false);
  const intent = useRef<{ key: string; body: string } | null>(null);

  return useCallback(async <T>(path: string, body: unknown): Promise<ApiResult<T> | undefined> => {
    if (inFlight.current) return undefined;
    inFlight.current = true;
    try {
      const json = JSON.stringify(body);
      if (intent.current?.body !== json) intent.current = { key: newIdempotencyKey(), body: json };
      const result = await postOnce<T>(path, body, intent.current.key);
      if (settled(result)) intent.current = null;
      return result;
    } finally {
      inFlight.current = false;
    }
  }, []);
}
