import crypto from 'node:crypto';
import { RequestValidationError } from '../errors';

/** How many items a list answers: `limit` defaults to `default` and may not exceed `max`. */
export const pageLimits = { default: 24, max: 100 } as const;

/**
 * Where a page starts or ends in a list ordered by (`at`, `id`): the creation time of a row as
 * PostgreSQL stores it (ISO 8601, UTC, microseconds, e.g. `2026-12-02T12:55:33.123456Z`) and its id.
 */
export interface KeysetPosition {
  at: string;
  id: string;
}

/** A cursor: the rows strictly `after` or strictly `before` a position. */
export interface PageCursor {
  direction: 'after' | 'before';
  position: KeysetPosition;
}

/** Turns cursors into opaque, signed strings and back. */
export interface PageCursors {
  encode(cursor: PageCursor): string;
  /** The cursor, or undefined when `text` is malformed, truncated or not signed by this list's key. */
  decode(text: string): PageCursor | undefined;
}

const FORMAT_VERSION = 1;
const DIRECTIONS = ['after', 'before'] as const;
const MAC_BYTES = 16;
// version (1) + direction (1) + microseconds since the epoch (8) + uuid (16)
const BODY_BYTES = 26;
const ISO_MICROS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{3})(\d{3})Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function microsOf(at: string): bigint {
  const match = ISO_MICROS.exec(at);
  const ms = match ? Date.parse(`${match[1]}.${match[2]}Z`) : NaN;
  if (!match || Number.isNaN(ms)) throw new Error(`not an ISO timestamp with microseconds: ${at}`);
  return BigInt(ms) * 1000n + BigInt(match[3]!);
}

function isoOf(micros: bigint): string | undefined {
  let ms = micros / 1000n;
  let sub = micros % 1000n;
  if (sub < 0n) {
    ms -= 1n;
    sub += 1000n;
  }
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999)
    return undefined;
  return date.toISOString().replace('Z', `${sub.toString().padStart(3, '0')}Z`);
}

/**
 * The cursor codec of one list (`list` names it, e.g. `tickets`): a cursor is base64url of a
 * versioned binary position plus an HMAC, keyed from `secret` (HKDF), so a cursor edited by hand or
 * taken from another list is refused instead of silently starting somewhere else. The position is
 * not secret (it is a row the caller was shown); the signature only keeps cursors ours.
 */
export function pageCursors(secret: string, list: string): PageCursors {
  const key = Buffer.from(crypto.hkdfSync('sha256', secret, '', `ticketing page cursor: ${list}`, 32));
  const macOf = (body: Buffer) =>
    crypto.createHmac('sha256', key).update(body).digest().subarray(0, MAC_BYTES);

  return {
    encode({ direction, position }) {
      if (!UUID.test(position.id)) throw new Error(`not a uuid: ${position.id}`);
      const body = Buffer.alloc(BODY_BYTES);
      body.writeUInt8(FORMAT_VERSION, 0);
      body.writeUInt8(DIRECTIONS.indexOf(direction), 1);
      body.writeBigInt64BE(microsOf(position.at), 2);
      Buffer.from(position.id.replaceAll('-', ''), 'hex').copy(body, 10);
      return Buffer.concat([body, macOf(body)]).toString('base64url');
    },

    decode(text) {
      if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
      const bytes = Buffer.from(text, 'base64url');
      // Only the canonical spelling of a cursor is one (no padding, no trailing bits).
      if (bytes.length !== BODY_BYTES + MAC_BYTES || bytes.toString('base64url') !== text) return undefined;
      const body = bytes.subarray(0, BODY_BYTES);
      if (!crypto.timingSafeEqual(bytes.subarray(BODY_BYTES), macOf(body))) return undefined;
      const direction = DIRECTIONS[body.readUInt8(1)];
      const at = isoOf(body.readBigInt64BE(2));
      if (body.readUInt8(0) !== FORMAT_VERSION || !direction || !at) return undefined;
      const hex = body.subarray(10).toString('hex');
      const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      return { direction, position: { at, id } };
    },
  };
}

/** A list request's paging: how many items, from where. */
export interface PageRequest {
  limit: number;
  /** Absent: the first page. */
  cursor?: PageCursor;
}

/** The query string as Express parses it. */
type Query = Record<string, unknown>;

/** One query parameter's value; a repeated parameter (`?limit=1&limit=2`) is a 400 on that field. */
export function singleQueryValue(query: Query, field: string): string | undefined {
  const value = query[field];
  if (value === undefined || typeof value === 'string') return value;
  throw new RequestValidationError([{ message: `${field} must be given once`, field }]);
}

/**
 * `limit` (a whole number 1..`pageLimits.max`, default `pageLimits.default`) and `cursor` (one this
 * list's codec made) from the query string; anything else in either is a 400 naming the field.
 */
export function pageRequest(query: Query, cursors: PageCursors): PageRequest {
  const limitText = singleQueryValue(query, 'limit');
  const cursorText = singleQueryValue(query, 'cursor');
  const errors = [];
  let limit: number = pageLimits.default;
  if (limitText !== undefined) {
    limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= pageLimits.max))
      errors.push({ message: `limit must be a whole number from 1 to ${pageLimits.max}`, field: 'limit' });
  }
  const cursor = cursorText === undefined ? undefined : cursors.decode(cursorText);
  if (cursorText !== undefined && !cursor)
    errors.push({ message: 'cursor is not one this list gave out', field: 'cursor' });
  if (errors.length > 0) throw new RequestValidationError(errors);
  return cursor ? { limit, cursor } : { limit };
}

/** A page of a list and the cursors of its neighbours (absent where there is none). */
export interface Page<T> {
  items: T[];
  next?: PageCursor;
  prev?: PageCursor;
}

/**
 * The `Link` header (RFC 8288) announcing a page's neighbours: `<path?params&cursor=…>; rel="next"`
 * and `rel="prev"`, where `params` are the request's own (e.g. `limit`, `q`) so the client follows
 * the link as is. Undefined when the page has no neighbour.
 */
export function pageLinks(
  path: string,
  params: Record<string, string | undefined>,
  page: Page<unknown>,
  cursors: PageCursors,
): string | undefined {
  const links = (['prev', 'next'] as const).flatMap((rel) => {
    const cursor = page[rel];
    if (!cursor) return [];
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, value);
    search.set('cursor', cursors.encode(cursor));
    return [`<${path}?${search.toString()}>; rel="${rel}"`];
  });
  return links.length > 0 ? links.join(', ') : undefined;
}
