import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import {
  BadRequestError,
  ServiceUnavailableError,
  TooManyRequestsError,
  type Database,
} from '@ticketing/common';
import { users } from '../db/schema';
import type { PasswordHasher } from './password-hasher';
import { forgetAddressAttempt, takeAddressAttempt, type AddressCeiling } from './address-throttle';
import { forgetAttempt, forgetFailures, takeAttempt, type ThrottleSettings } from './signin-throttle';

/** What auth tells about a user (and signs into the session). */
export interface PublicUser {
  id: string;
  email: string;
}

/** Email and password as the caller sent them (the email already trimmed and lower-cased). */
export interface Credentials {
  email: string;
  password: string;
}

/** The client address a request came from and the ceiling that applies to it. */
export interface AddressGuard {
  address: string;
  ceiling: AddressCeiling;
}

/**
 * Creates an account; 400 `Email in use` when the email is taken, also when two sign-ups race;
 * 429 once the client address has made the ceiling's number of sign-ups within its window.
 */
export async function signUp(
  db: Database,
  hasher: PasswordHasher,
  { email, password }: Credentials,
  from: AddressGuard,
): Promise<PublicUser> {
  const attempt = await takeAddressAttempt(db, 'signup', from.address, from.ceiling);
  if (!attempt.allowed) {
    throw new TooManyRequestsError(
      'Too many sign-ups from this address, try again later',
      attempt.retryAfterSeconds,
    );
  }
  // Checked first only to skip a costly hash; the unique index is what decides a race.
  if (await findUserByEmail(db, email)) throw emailInUse();
  const passwordHash = await hasher.hash(password);
  try {
    const [user] = await db
      .insert(users)
      .values({ id: crypto.randomUUID(), email, passwordHash })
      .returning({ id: users.id, email: users.email });
    return user;
  } catch (err) {
    if (isUniqueViolation(err)) throw emailInUse();
    throw err;
  }
}

/**
 * Checks credentials under the sign-in throttles: 429 once the email, or the client address across
 * all emails, has too many recent failures;
 * 400 `Invalid credentials` for an unknown email or a wrong password alike (and in comparable time).
 * A hash made with older scrypt parameters is replaced by one with the current parameters. An
 * attempt refused with 503 (no hashing turn in time) does not count as a failure.
 */
export async function signIn(
  db: Database,
  hasher: PasswordHasher,
  throttle: ThrottleSettings,
  { email, password }: Credentials,
  from: AddressGuard,
): Promise<PublicUser> {
  // Counted as a failure of the address up front (like the per-email count), taken back on success.
  const fromAddress = await takeAddressAttempt(db, 'signin-failure', from.address, from.ceiling);
  if (!fromAddress.allowed) {
    throw new TooManyRequestsError(
      'Too many failed sign-in attempts from this address, try again later',
      fromAddress.retryAfterSeconds,
    );
  }
  const attempt = await takeAttempt(db, email, throttle);
  if (!attempt.allowed) {
    throw new TooManyRequestsError(
      'Too many failed sign-in attempts, try again later',
      attempt.retryAfterSeconds,
    );
  }
  const user = await findUserByEmail(db, email);
  let matches: boolean;
  try {
    if (user) matches = await hasher.verify(password, user.passwordHash);
    else matches = await hasher.verifyNothing(password).then(() => false);
  } catch (err) {
    if (err instanceof ServiceUnavailableError) await forgetAttempt(db, attempt.attemptId);
    throw err;
  }
  if (!user || !matches) throw new BadRequestError('Invalid credentials');

  await forgetFailures(db, email);
  await forgetAddressAttempt(db, fromAddress.id);
  if (hasher.needsRehash(user.passwordHash)) {
    try {
      await db
        .update(users)
        .set({ passwordHash: await hasher.hash(password) })
        .where(eq(users.id, user.id));
    } catch (err) {
      // Too busy to rehash now: the sign-in stands, the upgrade waits for the next one.
      if (!(err instanceof ServiceUnavailableError)) throw err;
    }
  }
  return { id: user.id, email: user.email };
}

async function findUserByEmail(db: Database, email: string) {
  const [user] = await db.select().from(users).where(eq(users.email, email));
  return user;
}

function emailInUse(): BadRequestError {
  return new BadRequestError('Email in use', 'email');
}

/** PostgreSQL's unique_violation, as pg raises it or as drizzle wraps it. */
function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return e?.code === '23505' || e?.cause?.code === '23505';
}
