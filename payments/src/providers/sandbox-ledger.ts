import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '@ticketing/common';
import { sandboxCharges, sandboxRefunds } from '../db/schema';
import type { ChargeResult, RefundResult } from './payment-provider';

/** A charge the sandbox decided, to be recorded under its idempotency key. */
export interface LedgerCharge {
  idempotencyKey: string;
  /** The request's parameters; a key reused with others is refused by the provider. */
  fingerprint: string;
  amountCents: number;
  result: ChargeResult;
}

/** A refund the sandbox means to make, to be recorded under its idempotency key. */
export interface LedgerRefund {
  idempotencyKey: string;
  fingerprint: string;
  chargeId: string;
  amountCents: number;
  refundId: string;
}

/** What the ledger holds under a key: the first request's fingerprint and result; `made` when this call recorded it. */
export interface LedgerEntry<R> {
  fingerprint: string;
  result: R;
  made: boolean;
}

/** Like Stripe's answers to a refund it refuses (nothing was refunded). */
export class SandboxRefundRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxRefundRefused';
  }
}

/**
 * Where the sandbox keeps what it did, by idempotency key: the first request under a key is
 * recorded, a repeat gets the record. Refunds are checked against their charge (one the sandbox
 * made, never refunded past its amount) in the same step, so concurrent refunds take turns.
 */
export interface SandboxLedger {
  recordCharge(charge: LedgerCharge): Promise<LedgerEntry<ChargeResult>>;
  /** Rejects with `SandboxRefundRefused` for an unknown charge or an amount past what is left of it. */
  recordRefund(refund: LedgerRefund): Promise<LedgerEntry<RefundResult>>;
}

function refusal(charge: { amountCents: number; refundedCents: number } | undefined, refund: LedgerRefund) {
  if (!charge) return new SandboxRefundRefused(`No such charge: '${refund.chargeId}'`);
  if (charge.refundedCents + refund.amountCents > charge.amountCents) {
    return new SandboxRefundRefused(
      `Refund amount (${refund.amountCents}) is greater than the unrefunded amount on charge '${refund.chargeId}'`,
    );
  }
  return undefined;
}

/** The ledger of one process, forgotten when it exits (unit tests; nothing that restarts). */
export class MemorySandboxLedger implements SandboxLedger {
  private readonly charges = new Map<string, { fingerprint: string; result: ChargeResult }>();
  private readonly refunds = new Map<string, { fingerprint: string; result: RefundResult }>();
  private readonly succeeded = new Map<string, { amountCents: number; refundedCents: number }>();

  async recordCharge(charge: LedgerCharge): Promise<LedgerEntry<ChargeResult>> {
    const earlier = this.charges.get(charge.idempotencyKey);
    if (earlier) return { ...earlier, made: false };
    this.charges.set(charge.idempotencyKey, { fingerprint: charge.fingerprint, result: charge.result });
    if (charge.result.status === 'succeeded') {
      this.succeeded.set(charge.result.chargeId, { amountCents: charge.amountCents, refundedCents: 0 });
    }
    return { fingerprint: charge.fingerprint, result: charge.result, made: true };
  }

  async recordRefund(refund: LedgerRefund): Promise<LedgerEntry<RefundResult>> {
    const earlier = this.refunds.get(refund.idempotencyKey);
    if (earlier) return { ...earlier, made: false };
    const charge = this.succeeded.get(refund.chargeId);
    const refused = refusal(charge, refund);
    if (refused) throw refused;
    charge!.refundedCents += refund.amountCents;
    const result = { refundId: refund.refundId };
    this.refunds.set(refund.idempotencyKey, { fingerprint: refund.fingerprint, result });
    return { fingerprint: refund.fingerprint, result, made: true };
  }
}

/**
 * The ledger in payments' own database (tables sandbox_charges and sandbox_refunds), so the
 * sandbox keeps Stripe's idempotency across restarts and replicas: a refund retried after a
 * crash replays the refund made before it instead of refunding again.
 */
export class DatabaseSandboxLedger implements SandboxLedger {
  constructor(private readonly db: Database) {}

  async recordCharge(charge: LedgerCharge): Promise<LedgerEntry<ChargeResult>> {
    const { result } = charge;
    // A concurrent first use of the key waits on the key's row and then finds it taken.
    const [inserted] = await this.db
      .insert(sandboxCharges)
      .values({
        idempotencyKey: charge.idempotencyKey,
        fingerprint: charge.fingerprint,
        status: result.status,
        chargeId: result.status === 'succeeded' ? result.chargeId : null,
        declineMessage: result.status === 'declined' ? result.message : null,
        amountCents: charge.amountCents,
      })
      .onConflictDoNothing()
      .returning({ idempotencyKey: sandboxCharges.idempotencyKey });
    if (inserted) return { fingerprint: charge.fingerprint, result, made: true };
    const [earlier] = await this.db
      .select()
      .from(sandboxCharges)
      .where(eq(sandboxCharges.idempotencyKey, charge.idempotencyKey));
    return {
      fingerprint: earlier!.fingerprint,
      result:
        earlier!.status === 'succeeded'
          ? { status: 'succeeded', chargeId: earlier!.chargeId! }
          : { status: 'declined', message: earlier!.declineMessage ?? '' },
      made: false,
    };
  }

  recordRefund(refund: LedgerRefund): Promise<LedgerEntry<RefundResult>> {
    return this.db.transaction(async (tx) => {
      // The charge row first: refunds of one charge, and repeats of one key, take turns.
      const [charge] = await tx
        .select({ amountCents: sandboxCharges.amountCents, refundedCents: sandboxCharges.refundedCents })
        .from(sandboxCharges)
        .where(and(eq(sandboxCharges.chargeId, refund.chargeId), eq(sandboxCharges.status, 'succeeded')))
        .for('update');
      const [earlier] = await tx
        .select()
        .from(sandboxRefunds)
        .where(eq(sandboxRefunds.idempotencyKey, refund.idempotencyKey));
      if (earlier) {
        return { fingerprint: earlier.fingerprint, result: { refundId: earlier.refundId }, made: false };
      }
      const refused = refusal(charge, refund);
      if (refused) throw refused;
      await tx
        .update(sandboxCharges)
        .set({ refundedCents: sql`${sandboxCharges.refundedCents} + ${refund.amountCents}` })
        .where(eq(sandboxCharges.chargeId, refund.chargeId));
      await tx.insert(sandboxRefunds).values({
        idempotencyKey: refund.idempotencyKey,
        fingerprint: refund.fingerprint,
        refundId: refund.refundId,
        chargeId: refund.chargeId,
        amountCents: refund.amountCents,
      });
      return { fingerprint: refund.fingerprint, result: { refundId: refund.refundId }, made: true };
    });
  }
}
