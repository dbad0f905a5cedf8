import { eq } from 'drizzle-orm';
import {
  BadRequestError,
  claimIdempotencyKey,
  completeIdempotencyKey,
  findIdempotencyRecord,
  PaymentRequiredError,
  type Database,
  type IdempotentAnswer,
  type IdempotentRequest,
  type Logger,
  type StoredResponse,
} from '@ticketing/common';
import { orders, payments, type Payment } from '../db/schema';
import type { PaymentProvider } from '../providers';
import { beginPaymentAttempt, type DeclineLimits } from './payment-attempts';
import { settleAttempt, type SettleOutcome } from './settle-attempt';

/** What a running key of POST /api/payments started: the attempt, whose provider key is its own. */
interface PaymentRecoveryPoint {
  paymentId: string;
}

/**
 * Pays an order once per `Idempotency-Key` (call inside `withIdempotencyKey`, with its `keyDb`).
 * A key already answered replays its answer. A new key opens the attempt and records the key as
 * running with the attempt's id in the same transaction, then settles the attempt as `payOrder`
 * does. A key found running belongs to a request that stopped after opening its attempt (its
 * process died, or the provider's answer was lost): that attempt is finished instead of a new one
 * opened. It is charged with its own provider idempotency key, so if the provider charged it
 * already, the provider returns that charge and takes no money again; if it was settled meanwhile
 * (the reconciler), its outcome is answered. The final answer (201, a 402 decline, or 400 for a
 * charge refunded because the order was cancelled) is stored once known; a failure before the
 * attempt opens stores nothing, and an unknown provider outcome (500) leaves the key running.
 */
export async function payOrderOnce(
  keyDb: Database,
  provider: PaymentProvider,
  input: { orderId: string; userId: string; token: string },
  request: IdempotentRequest,
  logger: Logger,
  declineLimits: DeclineLimits,
): Promise<IdempotentAnswer> {
  const record = await keyDb.transaction((tx) => findIdempotencyRecord(tx, request));
  if (record?.state === 'done') return { ...record.response, replayed: true };

  let paymentId: string;
  let outcome: SettleOutcome | 'cancelled';
  if (record) {
    paymentId = (record.recoveryPoint as PaymentRecoveryPoint).paymentId;
    const [payment] = await keyDb.select().from(payments).where(eq(payments.id, paymentId));
    // Committed with the key's record, and payments are never deleted.
    if (!payment) throw new Error(`payment ${paymentId} of a running Idempotency-Key is missing`);
    const log = logger.child({ orderId: payment.orderId, paymentId });
    log.warn('finishing the payment attempt of an earlier request with the same Idempotency-Key');
    outcome =
      payment.status === 'pending'
        ? await settleAttempt(keyDb, provider, payment, log)
        : await settledOutcome(keyDb, payment);
  } else {
    const attempt = await keyDb.transaction(async (tx) => {
      const opened = await beginPaymentAttempt(tx, { ...input, now: new Date(), declineLimits });
      await claimIdempotencyKey(tx, request, { paymentId: opened.id } satisfies PaymentRecoveryPoint);
      return opened;
    });
    paymentId = attempt.id;
    const log = logger.child({ orderId: attempt.orderId, paymentId });
    if (attempt.resumed) log.warn('resuming an abandoned payment attempt');
    outcome = await settleAttempt(keyDb, provider, attempt, log);
  }
  return keyDb.transaction((tx) => completeIdempotencyKey(tx, request, answerFor(outcome, paymentId)));
}

/** The outcome of an attempt settled by someone else (the reconciler) before the repeat came. */
async function settledOutcome(db: Database, payment: Payment): Promise<SettleOutcome | 'cancelled'> {
  if (payment.status === 'declined') return { status: 'declined', message: payment.failureMessage ?? '' };
  if (payment.status === 'refunded') return 'cancelled';
  const [order] = await db
    .select({ status: orders.status })
    .from(orders)
    .where(eq(orders.id, payment.orderId));
  // A charge on an order cancelled meanwhile is owed back (a refund record), not kept: the answer is the refusal.
  if (order?.status === 'cancelled') return 'cancelled';
  return { status: 'succeeded', chargeId: payment.providerChargeId ?? '' };
}

/** The answer POST /api/payments gives for a settled attempt, as `payOrder` gives it. */
function answerFor(outcome: SettleOutcome | 'cancelled', paymentId: string): StoredResponse {
  if (outcome === 'cancelled' || outcome.status === 'refund-owed') {
    return errorAnswer(new BadRequestError('Cannot pay for a cancelled order'));
  }
  if (outcome.status === 'declined') return errorAnswer(new PaymentRequiredError('Your card was declined'));
  return { status: 201, body: { id: paymentId } };
}

function errorAnswer(error: BadRequestError | PaymentRequiredError): StoredResponse {
  return { status: error.statusCode, body: { errors: error.serialize() } };
}
