/** auth's tables (common's outbox/inbox tables are migrated separately, by common). */
import { bigserial, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    /** Trimmed and lower-cased; unique, so concurrent sign-ups with one email cannot both succeed. */
    email: text('email').notNull(),
    /** `scrypt$N$r$p$saltB64$hashB64`: the parameters travel with the hash, so costs can be raised later. */
    passwordHash: text('password_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email)],
);

/** Sign-in attempts counted against an email (kept in the database so every replica sees them). */
export const signinFailures = pgTable(
  'signin_failures',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    email: text('email').notNull(),
    failedAt: timestamp('failed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('signin_failures_email_idx').on(t.email, t.failedAt),
    index('signin_failures_failed_at_idx').on(t.failedAt),
  ],
);

/**
 * Sign-ups and failed sign-ins counted against a client address (kept in the database so every
 * replica sees them): ceilings against mass account creation and password spraying across emails.
 */
export const addressAttempts = pgTable(
  'address_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `signup` or `signin-failure`. */
    kind: text('kind').notNull(),
    address: text('address').notNull(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('address_attempts_address_idx').on(t.kind, t.address, t.at),
    index('address_attempts_at_idx').on(t.at),
  ],
);
