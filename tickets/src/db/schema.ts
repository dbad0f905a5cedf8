/** tickets' tables (common's outbox/inbox tables are migrated separately, by common). */
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const tickets = pgTable(
  'tickets',
  {
    id: uuid('id').primaryKey(),
    title: text('title').notNull(),
    priceCents: integer('price_cents').notNull(),
    /** The seller. */
    userId: uuid('user_id').notNull(),
    /** 0 at creation, +1 on every change; the optimistic-concurrency guard and the replicas' ordering key. */
    version: integer('version').notNull().default(0),
    /** The order holding the ticket (reserved, or sold to it when `soldAt` is set). */
    orderId: uuid('order_id'),
    /** Set when the holding order completed: the ticket is never for sale again. */
    soldAt: timestamp('sold_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    // The listing: tickets for sale, oldest first.
    index('tickets_for_sale_idx')
      .on(t.createdAt, t.id)
      .where(sql`${t.orderId} is null and ${t.soldAt} is null`),
    // Title search among the tickets for sale: `title ilike '%jazz%'` (pg_trgm's trigrams are
    // case-insensitive, so one index serves any case and any part of a word). fastupdate off: new
    // titles go straight into the index instead of a pending list the planner prices as a Seq Scan
    // until the next vacuum.
    index('tickets_for_sale_title_trgm_idx')
      .using('gin', t.title.op('gin_trgm_ops'))
      .with({ fastupdate: false })
      .where(sql`${t.orderId} is null and ${t.soldAt} is null`),
    check('tickets_price_cents_range', sql`${t.priceCents} > 0 and ${t.priceCents} <= 100000000`),
    // A sold ticket keeps the order that bought it.
    check('tickets_sold_has_order', sql`${t.soldAt} is null or ${t.orderId} is not null`),
  ],
);

/**
 * Orders known to be over (cancelled or completed), so an `order.created` that arrives after its
 * order's end cannot reserve the ticket again.
 */
export const finishedOrders = pgTable(
  'finished_orders',
  {
    orderId: uuid('order_id').primaryKey(),
    ticketId: uuid('ticket_id').notNull(),
    outcome: text('outcome', { enum: ['cancelled', 'completed'] }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [check('finished_orders_outcome', sql`${t.outcome} in ('cancelled', 'completed')`)],
);
