import { pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * One row per order whose expiry is scheduled. The primary key makes an order scheduled once,
 * whatever the number of order.created events for it; `event_id` is the scheduled
 * expiration.complete row in the outbox (join on it to see whether it has been published).
 */
export const scheduledExpirations = pgTable('scheduled_expirations', {
  orderId: uuid('order_id').primaryKey(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  eventId: uuid('event_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type ScheduledExpiration = typeof scheduledExpirations.$inferSelect;
