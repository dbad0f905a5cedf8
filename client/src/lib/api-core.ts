/**
 * Pure helpers shared by server-side and browser-side API calls: the API's error shape, how a
 * response becomes a result, and which headers a server-side call forwards. No I/O here.
 */
import { parseLinks } from '@ticketing/common/links';

/** One entry of the API's error body `{ errors: [{ message, field? }] }`. */
export interface ApiErrorItem {
  message: string;
  field?: string;
}

export type ApiResult<T> =
  | {
      ok: true;
      status: number;
      data: T;
      /** The `Link` header's targets by relation (a list's `next` and `prev` pages), when it has one. */
      links?: Record<string, string>;
    }
  | { ok: false; status: number; errors: ApiErrorItem[]; unreachable?: boolean };

export const DECLINED_MESSAGE = 'Your card was declined';
export const UNREACHABLE_MESSAGE = 'We could not reach the server. Check your connection and try again.';
export const GENERIC_MESSAGE = 'Something went wrong on our side. Please try again.';

function isErrorItem(value: unknown): value is ApiErrorItem {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.message === 'string' && (v.field === undefined || typeof v.field === 'string');
}

function fallbackMessage(status: number): string {
  if (status === 402) return DECLINED_MESSAGE;
  if (status === 401) return 'Please sign in to continue.';
  if (status === 404) return 'Not found.';
  if (status === 413) return 'That request is too large.';
  if (status === 429) return 'Too many attempts. Please wait a few minutes and try again.';
  return GENERIC_MESSAGE;
}

/**
 * Turns an error response body into a list of messages. Anything that is not the documented shape
 * (HTML from a proxy, an empty body) becomes one message chosen by status, so the UI always has
 * something honest to show.
 */
export function parseErrors(status: number, body: unknown): ApiErrorItem[] {
  if (typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors)) {
    const items = (body as { errors: unknown[] }).errors
      .filter(isErrorItem)
      .map((e) => (e.field ? { message: e.message, field: e.field } : { message: e.message }));
    if (items.length > 0) {
      // A decline always reads the same, whatever the provider said.
      if (status === 402) return [{ message: DECLINED_MESSAGE }];
      return items;
    }
  }
  return [{ message: fallbackMessage(status) }];
}

/** Reads a fetch Response into an ApiResult. Never throws. */
export async function toResult<T>(res: Response): Promise<ApiResult<T>> {
  const text = await res.text().catch(() => '');
  const result = resultOf<T>(res.status, text);
  const link = res.headers.get('link');
  return result.ok && link ? { ...result, links: parseLinks(link) } : result;
}

/** The ApiResult of a response's status and body text. */
export function resultOf<T>(status: number, text: string): ApiResult<T> {
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (status >= 200 && status < 300) return { ok: true, status, data: body as T };
  return { ok: false, status, errors: parseErrors(status, body) };
}

export function unreachableResult(): { ok: false; status: 0; errors: ApiErrorItem[]; unreachable: true } {
  return { ok: false, status: 0, errors: [{ message: UNREACHABLE_MESSAGE }], unreachable: true };
}

/** Anything with a `get(name)` like the `Headers` returned by next/headers. */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * The headers a server-side API call carries on behalf of the browser's request: the user's
 * cookie (the session, forwarded untouched), and where the request originally came from so the
 * services can judge e.g. whether a cookie must be Secure.
 */
export function buildForwardHeaders(incoming: HeaderReader): Record<string, string> {
  const out: Record<string, string> = { accept: 'application/json' };
  const cookie = incoming.get('cookie');
  if (cookie) out.cookie = cookie;
  const proto = incoming.get('x-forwarded-proto')?.split(',')[0]?.trim();
  out['x-forwarded-proto'] = proto === 'https' ? 'https' : 'http';
  const host = incoming.get('x-forwarded-host')?.split(',')[0]?.trim() || incoming.get('host');
  if (host) out['x-forwarded-host'] = host;
  const requestId = incoming.get('x-request-id');
  if (requestId) out['x-request-id'] = requestId;
  return out;
}

/** Errors split for a form: those naming one of its fields, and the rest (shown at the top). */
export interface FormErrors {
  fields: Record<string, string[]>;
  form: string[];
}

export function splitErrors(errors: ApiErrorItem[], fieldNames: readonly string[]): FormErrors {
  const result: FormErrors = { fields: {}, form: [] };
  for (const e of errors) {
    if (e.field && fieldNames.includes(e.field)) {
      (result.fields[e.field] ??= []).push(e.message);
    } else {
      result.form.push(e.message);
    }
  }
  return result;
}

// C0 controls, DEL and the C1 range: browsers strip tabs and newlines from URLs, so `/\t/evil.example`
// would reach them as `//evil.example`, another site.
const UNSAFE_IN_PATH = /[\u0000-\u001f\u007f-\u009f\\]/;
const BASE = 'http://same-origin.invalid';

/**
 * A same-origin path to go back to after signing in; anything else falls back to home. The value
 * is resolved against a base the way a browser would, and kept only when it stays on that origin;
 * control characters and backslashes (which browsers rewrite) are refused outright.
 */
export function safeNextPath(value: string | string[] | undefined | null): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v || !v.startsWith('/') || UNSAFE_IN_PATH.test(v)) return '/';
  let url: URL;
  try {
    url = new URL(v, BASE);
  } catch {
    return '/';
  }
  // Dot segments can normalise into `//evil.example` (from `/..//evil.example`): a protocol-relative URL.
  if (url.origin !== BASE || url.pathname.startsWith('//')) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
