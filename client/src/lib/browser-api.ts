/**
 * Browser-side API calls from forms: same origin, relative `/api/...` URLs, cookies included.
 */
import { toResult, unreachableResult, type ApiResult } from './api-core';

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
