import { eq, sql } from 'drizzle-orm';
import type { Database } from '@ticketing/common';
import { addressAttempts } from '../db/schema';

/** What is counted against a client address. */
export type AddressAttemptKind = 'signup' | 'signin-failure';

/** How many attempts of one kind one address may make within a window before it gets 429. */
export interface AddressCeiling {
  max: number;
  windowSeconds: number;
}

/** The outcome of `takeAddressAttempt`: go ahead (with the recorded attempt's id), or wait this long. */
export type AddressDecision = { allowed: true; id: number } | { allowed: false; retryAfterSeconds: number };

// Namespace of the per-address advisory locks (the sign-in throttle's per-email locks use 4_201).
const ADDRESS_LOCK_CLASS = 4_202;
// Expired rows removed per attempt: keeps the table small without a sweeper job.
const SWEEP_BATCH = 100;

/**
 * Records one attempt of `kind` from `address`, unless the address already made `max` within the
 * window. Counting and recording under a per-address lock means concurrent requests cannot slip
 * past the ceiling.
 */
export async function takeAddressAttempt(
  db: Database,
  kind: AddressAttemptKind,
  address: string,
  { max, windowSeconds }: AddressCeiling,
): Promise<AddressDecision> {
  const window = sql`make_interval(secs => ${windowSeconds})`;
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select pg_advisory_xact_lock(${ADDRESS_LOCK_CLASS}, hashtext(${`${kind} ${address}`}))`,
    );
    await tx.execute(sql`
      delete from ${addressAttempts} where ${addressAttempts.id} in (
        select ${addressAttempts.id} from ${addressAttempts}
        where ${addressAttempts.at} <= now() - ${window}
        limit ${SWEEP_BATCH} for update skip locked)`);
    // The address may try again when its max-th most recent attempt leaves the window.
    const [blocking] = await tx
      .select({ waitSeconds: sql<string>`extract(epoch from ${addressAttempts.at} + ${window} - now())` })
      .from(addressAttempts)
      .where(
        sql`${addressAttempts.kind} = ${kind} and ${addressAttempts.address} = ${address}
            and ${addressAttempts.at} > now() - ${window}`,
      )
      .orderBy(sql`${addressAttempts.at} desc`)
      .offset(max - 1)
      .limit(1);
    if (blocking)
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(Number(blocking.waitSeconds))) };
    const [row] = await tx
      .insert(addressAttempts)
      .values({ kind, address })
      .returning({ id: addressAttempts.id });
    return { allowed: true, id: row.id };
  });
}

/** Takes back one recorded attempt (a sign-in counted as a failure up front that succeeded). */
export async function forgetAddressAttempt(db: Database, id: number): Promise<void> {
  await db.delete(addressAttempts).where(eq(addressAttempts.id, id));
}
