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
 * final; succeeded becomes refunded once the refund worker has had the provider refund it (its
 * order turned out cancelled; meanwhile a pending row in `refunds` stands for the money owed back).
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

export const refundStatuses = ['pending', 'succeeded'] as const;
/** pending: owed, the worker asks the provider (again) from `nextAttemptAt`; succeeded: final. */
export type RefundStatus = (typeof refundStatuses)[number];

/**
 * Money owed back for a succeeded payment whose order was cancelled: committed in the transaction
 * that learns it is owed, then worked off by the refund worker outside any transaction, with
 * backoff, for as long as it takes. One per payment (a full refund), one idempotency key per payment.
 */
export const refunds = pgTable(
  'refunds',
  {
    paymentId: uuid('payment_id')
      .primaryKey()
      .references(() => payments.id),
    orderId: uuid('order_id').notNull(),
    /** The provider's charge to refund (the payment's providerChargeId). */
    chargeId: text('charge_id').notNull(),
    amountCents: integer('amount_cents').notNull(),
    /** Sent with every attempt: the provider refunds at most once per key. */
    idempotencyKey: text('idempotency_key').notNull(),
    status: text('status').$type<RefundStatus>().notNull().default('pending'),
    /** Provider calls started so far (a call cut short by a crash counts too). */
    attempts: integer('attempts').notNull().default(0),
    /** When the worker may next claim it: a claim pushes it out (a lease), a failure backs off. */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Why the last attempt failed (for operators). */
    lastError: text('last_error'),
    /** The provider's refund id, once it has refunded. */
    providerRefundId: text('provider_refund_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    refundedAt: timestamp('refunded_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('refunds_idempotency_key_idx').on(t.idempotencyKey),
    // The worker's scan for due refunds: only the pending few, soonest first.
    index('refunds_pending_next_attempt_at_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    check('refunds_status_check', sql`${t.status} in ('pending', 'succeeded')`),
    check('refunds_amount_cents_check', sql`${t.amountCents} > 0`),
    check(
      'refunds_succeeded_check',
      sql`(${t.status} = 'succeeded') = (${t.providerRefundId} is not null and ${t.refundedAt} is not null)`,
    ),
  ],
);

/**
 * The sandbox provider's own record of the charges it made, by idempotency key, so that a repeated
 * key replays the first result across restarts and replicas, as Stripe does. Unused with Stripe.
 */
export const sandboxCharges = pgTable(
  'sandbox_charges',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    /** The request's parameters: a key reused with others is refused. */
    fingerprint: text('fingerprint').notNull(),
    status: text('status').$type<'succeeded' | 'declined'>().notNull(),
    chargeId: text('charge_id'),
    declineMessage: text('decline_message'),
    amountCents: integer('amount_cents').notNull(),
    refundedCents: integer('refunded_cents').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('sandbox_charges_charge_id_idx').on(t.chargeId),
    check('sandbox_charges_status_check', sql`${t.status} in ('succeeded', 'declined')`),
    check('sandbox_charges_refunded_cents_check', sql`${t.refundedCents} between 0 and ${t.amountCents}`),
  ],
);

/** The sandbox provider's refunds, by idempotency key (see `sandboxCharges`). */
export const sandboxRefunds = pgTable(
  'sandbox_refunds',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    fingerprint: text('fingerprint').notNull(),
    refundId: text('refund_id').notNull(),
    chargeId: text('charge_id').notNull(),
    amountCents: integer('amount_cents').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('sandbox_refunds_refund_id_idx').on(t.refundId),
    index('sandbox_refunds_charge_id_idx').on(t.chargeId),
  ],
);

export type Order = typeof orders.$inferSelect;
export type Payment = typeof payments.$inferSelect;
export type Refund = typeof refunds.$inferSelect;
