import { eq, sql } from 'drizzle-orm';
import type { Database } from '@ticketing/common';
import { signinFailures } from '../db/schema';

/** How many failed sign-ins one email may have within a window before it gets 429. */
export interface ThrottleSettings {
  maxFailures: number;
  windowSeconds: number;
}

/** The outcome of `takeAttempt`: go ahead, or wait this long. */
export type AttemptDecision =
  { allowed: true; attemptId: number } | { allowed: false; retryAfterSeconds: number };

// Namespace of the per-email advisory locks (the two-key form never collides with one-key locks).
const THROTTLE_LOCK_CLASS = 4_201;
// Expired rows of other emails removed per attempt: keeps the table small without a sweeper job.
const SWEEP_BATCH = 100;

/**
 * Counts one sign-in attempt for `email` as a failure up front (cleared by `forgetFailures` when
 * it succeeds), unless the email already has `maxFailures` within the window. Counting before the
 * password check, under a per-email lock, means concurrent guesses cannot slip past the limit.
 */
export async function takeAttempt(
  db: Database,
  email: string,
  settings: ThrottleSettings,
): Promise<AttemptDecision> {
  const window = sql`make_interval(secs => ${settings.windowSeconds})`;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${THROTTLE_LOCK_CLASS}, hashtext(${email}))`);
    await tx.execute(sql`
      delete from ${signinFailures} where ${signinFailures.id} in (
        select ${signinFailures.id} from ${signinFailures}
        where ${signinFailures.failedAt} <= now() - ${window}
        limit ${SWEEP_BATCH} for update skip locked)`);
    // The email may try again when its maxFailures-th most recent failure leaves the window.
    const [blocking] = await tx
      .select({
        waitSeconds: sql<string>`extract(epoch from ${signinFailures.failedAt} + ${window} - now())`,
      })
      .from(signinFailures)
      .where(sql`${signinFailures.email} = ${email} and ${signinFailures.failedAt} > now() - ${window}`)
      .orderBy(sql`${signinFailures.failedAt} desc`)
      .offset(settings.maxFailures - 1)
      .limit(1);
    if (blocking)
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(Number(blocking.waitSeconds))) };
    const [row] = await tx.insert(signinFailures).values({ email }).returning({ id: signinFailures.id });
    return { allowed: true, attemptId: row.id };
  });
}

/** Clears the failures of `email` after a successful sign-in. */
export async function forgetFailures(db: Database, email: string): Promise<void> {
  await db.delete(signinFailures).where(eq(signinFailures.email, email));
}

/** Takes back one attempt that never got its password checked (the server was too busy: 503). */
export async function forgetAttempt(db: Database, attemptId: number): Promise<void> {
  await db.delete(signinFailures).where(eq(signinFailures.id, attemptId));
}
