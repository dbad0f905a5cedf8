/**
 * Server-side API calls, made while rendering a page: they go to the gateway at API_BASE_URL and
 * carry the user's cookie, so the page renders as the signed-in user on first load.
 */
import { headers } from 'next/headers';
import { cache } from 'react';
import { loadConfig } from './config';
import { buildForwardHeaders, toResult, unreachableResult, type ApiResult } from './api-core';
import { traceHeaders } from './trace-headers';
import type { CurrentUser } from './types';

export async function serverFetch<T>(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<ApiResult<T>> {
  const config = loadConfig();
  const forwarded = { ...buildForwardHeaders(await headers()), ...traceHeaders() };
  if (init.body !== undefined) forwarded['content-type'] = 'application/json';
  try {
    const res = await fetch(`${config.apiBaseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: forwarded,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
      redirect: 'manual',
      signal: AbortSignal.timeout(config.apiTimeoutMs),
    });
    return await toResult<T>(res);
  } catch {
    return unreachableResult();
  }
}

/** The signed-in user, or null (signed out, or the API is unreachable). One call per request. */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => {
  const result = await serverFetch<{ currentUser: CurrentUser | null }>('/api/users/currentuser');
  if (!result.ok || !result.data || typeof result.data !== 'object') return null;
  const user = result.data.currentUser;
  return user && typeof user.email === 'string' ? user : null;
});
