import { asc, desc, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { KeysetPosition, Page, PageCursor, PageRequest } from '../http/pagination';

/**
 * A list's keyset: the creation time and id columns it is ordered by (oldest first unless
 * `newestFirst`, the id breaking ties), which an index must cover for the page queries to walk it
 * instead of sorting.
 */
export interface Keyset {
  at: AnyPgColumn;
  id: AnyPgColumn;
  newestFirst?: boolean;
}

/** Whether a query runs in (at, id) ascending order: forward in an oldest-first list, back in a newest-first one. */
function ascending(keyset: Keyset, cursor: PageCursor | undefined): boolean {
  return (cursor?.direction === 'before') === Boolean(keyset.newestFirst);
}

/**
 * Selects a row's position: `at` as text with its microseconds (a JS Date keeps milliseconds only,
 * and a cursor rounded to them would repeat or skip rows created within the same millisecond).
 */
export function keysetPosition({ at }: Keyset): SQL<string> {
  return sql<string>`to_char(${at} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** Rows strictly after (or before) the cursor's position in the list, as one row comparison the index serves. */
export function keysetCondition(keyset: Keyset, cursor: PageCursor): SQL {
  const op = ascending(keyset, cursor) ? sql.raw('>') : sql.raw('<');
  const { at, id } = keyset;
  return sql`(${at}, ${id}) ${op} (${cursor.position.at}::timestamptz, ${cursor.position.id}::uuid)`;
}

/** The list's order when walking forward, the reverse when walking back from a `before` cursor. */
export function keysetOrder(keyset: Keyset, cursor: PageCursor | undefined): SQL[] {
  const { at, id } = keyset;
  return ascending(keyset, cursor) ? [asc(at), asc(id)] : [desc(at), desc(id)];
}

/**
 * One page of a keyset-ordered list. `fetchRows(cursor, count)` returns up to `count` rows past
 * `cursor` (all rows when undefined) in `keysetOrder`; one row more than the limit is fetched to
 * know whether a next (or previous) page exists. A `before` cursor with less than a full page
 * before it answers the first page, so "previous" never shows a short or empty page.
 */
export async function fetchKeysetPage<R>(
  { limit, cursor }: PageRequest,
  fetchRows: (cursor: PageCursor | undefined, count: number) => Promise<R[]>,
  positionOf: (row: R) => KeysetPosition,
): Promise<Page<R>> {
  const after = (row: R): PageCursor => ({ direction: 'after', position: positionOf(row) });
  const before = (row: R): PageCursor => ({ direction: 'before', position: positionOf(row) });

  if (cursor?.direction === 'before') {
    const rows = await fetchRows(cursor, limit + 1);
    if (rows.length > limit) {
      const items = rows.slice(0, limit).reverse();
      return { items, prev: before(items[0]!), next: after(items[items.length - 1]!) };
    }
  }
  const start = cursor?.direction === 'after' ? cursor : undefined;
  const rows = await fetchRows(start, limit + 1);
  const items = rows.slice(0, limit);
  const page: Page<R> = { items };
  if (rows.length > limit) page.next = after(items[items.length - 1]!);
  // A page reached by a cursor is not the first page; an empty one has nothing to step back from.
  if (start && items.length > 0) page.prev = before(items[0]!);
  return page;
}

/** The page with its rows mapped (e.g. database rows to the API's shape). */
export function mapPage<R, T>(page: Page<R>, map: (row: R) => T): Page<T> {
  return { ...page, items: page.items.map(map) };
}
