/** orders' tables (common's outbox/inbox tables are migrated separately, by common). */
import { sql, type SQL } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { orderStatuses, type OrderStatus } from '@ticketing/common';

/** The statuses of an order that holds its ticket: at most one such order per ticket. */
export const liveStatuses = [
  'created',
  'awaiting:payment',
  'complete',
] as const satisfies readonly OrderStatus[];

/**
 * `<status> in ('created', ...)` with the statuses inlined: an index predicate and the matching
 * ON CONFLICT predicate must be literal SQL, not bound parameters.
 */
export function statusIn(status: AnyPgColumn, statuses: readonly OrderStatus[]): SQL {
  return sql`${status} in (${sql.raw(statuses.map((s) => `'${s}'`).join(', '))})`;
}

/** orders' replica of the tickets service's tickets, fed by `ticket.created` / `ticket.updated`. */
export const tickets = pgTable('tickets', {
  id: uuid('id').primaryKey(),
  title: text('title').notNull(),
  priceCents: integer('price_cents').notNull(),
  /** The owner's version last applied here; events apply only in order (N after N-1). */
  version: integer('version').notNull(),
});

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey(),
    /** The buyer. */
    userId: uuid('user_id').notNull(),
    ticketId: uuid('ticket_id')
      .notNull()
      .references(() => tickets.id),
    status: text('status', { enum: orderStatuses }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** 0 at creation, +1 on every status change; the replicas' ordering key. */
    version: integer('version').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    check('orders_status_check', statusIn(t.status, orderStatuses)),
    // The reservation itself: of any number of concurrent orders for one ticket, only one can be live.
    uniqueIndex('orders_live_ticket_key').on(t.ticketId).where(statusIn(t.status, liveStatuses)),
    // "The caller's orders, newest first", a page at a time (read backwards): the id breaks ties in the keyset.
    index('orders_user_created_id_idx').on(t.userId, t.createdAt, t.id),
  ],
);

/** An order row as stored. */
export type OrderRow = typeof orders.$inferSelect;
/** A ticket replica row as stored. */
export type TicketRow = typeof tickets.$inferSelect;
