import crypto from 'node:crypto';
import type {
  ChargeRequest,
  ChargeResult,
  PaymentProvider,
  RefundRequest,
  RefundResult,
} from './payment-provider';

// Stripe's test payment methods and tokens (docs.stripe.com/testing) that succeed.
const SUCCEEDING = new Set(
  [
    'visa',
    'visa_debit',
    'mastercard',
    'mastercard_debit',
    'amex',
    'discover',
    'diners',
    'jcb',
    'unionpay',
  ].flatMap((brand) => [`tok_${brand}`, `pm_card_${brand}`]),
);

// Stripe's declining test cards, with the message Stripe gives for each.
const DECLINE_MESSAGES: Record<string, string> = {
  chargeDeclined: 'Your card was declined.',
  chargeDeclinedInsufficientFunds: 'Your card has insufficient funds.',
  chargeDeclinedExpiredCard: 'Your card has expired.',
  chargeDeclinedIncorrectCvc: "Your card's security code is incorrect.",
  chargeDeclinedProcessingError: 'An error occurred while processing your card. Try again in a little bit.',
  chargeDeclinedFraudulent: 'Your card was declined.',
};

function decline(token: string): string | undefined {
  const name = token.replace(/^(tok_|pm_card_)/, '');
  return name === token ? undefined : DECLINE_MESSAGES[name];
}

/** A charge the sandbox made (replays of an idempotency key are not charges). */
export interface SandboxCharge {
  idempotencyKey: string;
  amountCents: number;
  token: string;
  result: ChargeResult;
}

/** A refund the sandbox made (replays of an idempotency key are not refunds). */
export interface SandboxRefund {
  idempotencyKey: string;
  chargeId: string;
  amountCents: number;
  refundId: string;
}

/**
 * The built-in provider used when no Stripe key is configured: Stripe's test-card semantics with
 * no account. Stripe's success tokens (`tok_visa`, `pm_card_visa`, … for the common brands)
 * succeed; its decline tokens (`pm_card_chargeDeclined`, `tok_chargeDeclined`,
 * `…InsufficientFunds`, `…ExpiredCard`, `…IncorrectCvc`, …) are declined; any other token is
 * declined as an unknown payment method (Stripe refuses it too, without charging). Idempotent per
 * key for the life of the process, like Stripe: a repeat gets the first result and charges nothing,
 * and a key reused with other parameters is an error. Refunds follow the same rules, and like
 * Stripe the sandbox refuses to refund a charge it did not make or more than the charge took.
 */
export class SandboxProvider implements PaymentProvider {
  /** Every charge made, oldest first. */
  readonly charges: SandboxCharge[] = [];
  /** Every refund made, oldest first. */
  readonly refunds: SandboxRefund[] = [];
  private readonly byKey = new Map<string, { fingerprint: string; result: ChargeResult }>();
  private readonly refundsByKey = new Map<string, { fingerprint: string; result: RefundResult }>();
  /** Succeeded charges: what each took and what has been refunded of it. */
  private readonly succeeded = new Map<string, { amountCents: number; refundedCents: number }>();

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const fingerprint = JSON.stringify([
      request.amountCents,
      request.currency,
      request.token,
      request.description,
    ]);
    const earlier = this.byKey.get(request.idempotencyKey);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        throw new Error(
          'Keys for idempotent requests can only be used with the same parameters they were first used with',
        );
      }
      return earlier.result;
    }
    const result = this.decide(request.token);
    this.byKey.set(request.idempotencyKey, { fingerprint, result });
    this.charges.push({
      idempotencyKey: request.idempotencyKey,
      amountCents: request.amountCents,
      token: request.token,
      result,
    });
    if (result.status === 'succeeded')
      this.succeeded.set(result.chargeId, { amountCents: request.amountCents, refundedCents: 0 });
    return result;
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const fingerprint = JSON.stringify([request.chargeId, request.amountCents]);
    const earlier = this.refundsByKey.get(request.idempotencyKey);
    if (earlier) {
      if (earlier.fingerprint !== fingerprint) {
        throw new Error(
          'Keys for idempotent requests can only be used with the same parameters they were first used with',
        );
      }
      return earlier.result;
    }
    const charge = this.succeeded.get(request.chargeId);
    if (!charge) throw new Error(`No such charge: '${request.chargeId}'`);
    if (!Number.isInteger(request.amountCents) || request.amountCents <= 0) {
      throw new Error(`Invalid refund amount: ${request.amountCents}`);
    }
    if (charge.refundedCents + request.amountCents > charge.amountCents) {
      throw new Error(
        `Refund amount (${request.amountCents}) is greater than the unrefunded amount on charge '${request.chargeId}'`,
      );
    }
    charge.refundedCents += request.amountCents;
    const result = { refundId: `re_sandbox_${crypto.randomBytes(12).toString('hex')}` };
    this.refundsByKey.set(request.idempotencyKey, { fingerprint, result });
    this.refunds.push({
      idempotencyKey: request.idempotencyKey,
      chargeId: request.chargeId,
      amountCents: request.amountCents,
      refundId: result.refundId,
    });
    return result;
  }

  private decide(token: string): ChargeResult {
    if (SUCCEEDING.has(token))
      return { status: 'succeeded', chargeId: `ch_sandbox_${crypto.randomBytes(12).toString('hex')}` };
    return { status: 'declined', message: decline(token) ?? `No such PaymentMethod: '${token}'` };
  }
}
