import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { OrderStatus } from '@ticketing/common';

/** The replica of orders this service needs to take payments, fed by the order events (version gated). */
export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    status: text('status').$type<OrderStatus>().notNull(),
    priceCents: integer('price_cents').notNull(),
    version: integer('version').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    check(
      'orders_status_check',
      sql`${t.status} in ('created', 'awaiting:payment', 'complete', 'cancelled')`,
    ),
    check('orders_price_cents_check', sql`${t.priceCents} > 0`),
  ],
);

export const paymentStatuses = ['pending', 'succeeded', 'declined', 'refunded'] as const;
/**
 * pending: the provider is being (or was, by a process that died) asked; declined and refunded are
 * final; succeeded becomes refunded when the order turns out cancelled (the money goes back).
 */
export type PaymentStatus = (typeof paymentStatuses)[number];

/**
 * One attempt to pay an order: at most one per order is pending or succeeded (the partial unique
 * index); declined and refunded attempts are not live.
 */
export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    status: text('status').$type<PaymentStatus>().notNull(),
    amountCents: integer('amount_cents').notNull(),
    /** The payment method the attempt charges; a resumed attempt must send it again unchanged. */
    token: text('token').notNull(),
    /** Sent with the provider call: the provider charges at most once per key. */
    idempotencyKey: text('idempotency_key').notNull(),
    /** The provider's charge id (a Stripe PaymentIntent id, or the sandbox's), once succeeded. */
    providerChargeId: text('provider_charge_id'),
    /** Why the provider declined (for operators; the client only hears "declined"). */
    failureMessage: text('failure_message'),
    /** The provider's refund id, once the charge was refunded (its order was cancelled). */
    refundId: text('refund_id'),
    refundedAt: timestamp('refunded_at', { withTimezone: true, mode: 'date' }),
    /** When the provider was last asked; a pending attempt older than the stale window is resumed. */
    attemptedAt: timestamp('attempted_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('payments_one_live_per_order_idx')
      .on(t.orderId)
      .where(sql`${t.status} in ('pending', 'succeeded')`),
    uniqueIndex('payments_idempotency_key_idx').on(t.idempotencyKey),
    // The reconciler's scan for abandoned attempts: only the few pending rows, oldest first.
    index('payments_pending_attempted_at_idx')
      .on(t.attemptedAt)
      .where(sql`${t.status} = 'pending'`),
    check('payments_status_check', sql`${t.status} in ('pending', 'succeeded', 'declined', 'refunded')`),
    check('payments_amount_cents_check', sql`${t.amountCents} > 0`),
    check(
      'payments_refund_check',
      sql`(${t.status} = 'refunded') = (${t.refundId} is not null and ${t.refundedAt} is not null)`,
    ),
  ],
);

export type Order = typeof orders.$inferSelect;
export type Payment = typeof payments.$inferSelect;
