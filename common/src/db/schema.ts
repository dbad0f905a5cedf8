/**
 * The messaging tables every service database holds, and the record of requests made with an
 * `Idempotency-Key`. They belong to common and are migrated by common's own migrations
 * (`src/db/migrations`), before the service's.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/** Events committed with the state change that caused them, waiting for (or kept after) publishing. */
export const outbox = pgTable(
  'outbox',
  {
    /** The event id: JetStream message id and consumers' inbox key. */
    id: uuid('id').primaryKey(),
    /** Publishing order among due rows. */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    subject: text('subject').notNull(),
    data: jsonb('data').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Not published before this time (scheduled events); also pushed back after a failed attempt. */
    notBefore: timestamp('not_before', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true, mode: 'date' }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** W3C trace context of the span that added the event (null outside a trace): the relay continues it. */
    traceparent: text('traceparent'),
    tracestate: text('tracestate'),
    /** Added with a `notBefore` (a scheduled event): its trace is linked, not continued, when it is published. */
    scheduled: boolean('scheduled').notNull().default(false),
  },
  (t) => [
    index('outbox_due_idx')
      .on(t.notBefore, t.seq)
      .where(sql`${t.publishedAt} is null`),
    // The relay's claim: unpublished rows in seq order, not_before checked in the index, so a
    // claim reads one batch however long the backlog (outbox_due_idx would sort all due rows).
    index('outbox_pending_seq_idx')
      .on(t.seq, t.notBefore)
      .where(sql`${t.publishedAt} is null`),
    index('outbox_published_idx')
      .on(t.publishedAt)
      .where(sql`${t.publishedAt} is not null`),
    index('outbox_occurred_idx').on(t.occurredAt),
  ],
);

/** Events a consumer has applied; inserted in the same transaction as the effect. */
export const inbox = pgTable(
  'inbox',
  {
    consumer: text('consumer').notNull(),
    eventId: uuid('event_id').notNull(),
    subject: text('subject').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] }), index('inbox_processed_idx').on(t.processedAt)],
);

/** Events that can never be processed, with the reason; kept for a human to look at. */
export const deadLetters = pgTable('dead_letters', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  consumer: text('consumer').notNull(),
  subject: text('subject').notNull(),
  /** Null when the message was too broken to carry one. */
  eventId: text('event_id'),
  /** The raw message body, as received. */
  payload: text('payload').notNull(),
  reason: text('reason').notNull(),
  deliveries: integer('deliveries').notNull(),
  streamSeq: integer('stream_seq'),
  /** W3C trace context the message carried, so a dead letter leads to its trace. */
  traceparent: text('traceparent'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/**
 * What a request with an `Idempotency-Key` did, so a repeat of it (same user, same key) gets the
 * first answer instead of doing it again. Written in the transaction of the request's effect; a
 * request that failed before any effect leaves no row.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** Keys are scoped to the signed-in user: two users may pick the same key. */
    userId: uuid('user_id').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    /** sha-256 (hex) of the canonical JSON of the request body. */
    fingerprint: text('fingerprint').notNull(),
    /**
     * running: the effect has begun in a committed transaction (`recoveryPoint` says what it
     * started) and its answer is not known yet; done: `responseStatus` and `responseBody` hold it.
     */
    state: text('state', { enum: ['running', 'done'] }).notNull(),
    /** What a request that stops while running started, so a repeat can finish it (payments: the attempt). */
    recoveryPoint: jsonb('recovery_point'),
    responseStatus: integer('response_status'),
    /** The JSON body exactly as first sent (text, not jsonb, so a replay is byte for byte the same). */
    responseBody: text('response_body'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** After this the key is forgotten: a request with it runs again, and the janitor deletes the row. */
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.key] }),
    index('idempotency_keys_expires_idx').on(t.expiresAt),
    check('idempotency_keys_state', sql`${t.state} in ('running', 'done')`),
    check(
      'idempotency_keys_done_has_response',
      sql`${t.state} <> 'done' or (${t.responseStatus} is not null and ${t.responseBody} is not null)`,
    ),
  ],
);
