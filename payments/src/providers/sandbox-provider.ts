import crypto from 'node:crypto';
import type {
  ChargeRequest,
  ChargeResult,
  PaymentProvider,
  RefundRequest,
  RefundResult,
} from './payment-provider';
import { MemorySandboxLedger, SandboxRefundRefused, type SandboxLedger } from './sandbox-ledger';

// Stripe's words for it.
const REUSED_KEY =
  'Keys for idempotent requests can only be used with the same parameters they were first used with';

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
 * key, like Stripe: a repeat gets the first result and charges nothing, and a key reused with
 * other parameters is an error. Refunds follow the same rules, and like Stripe the sandbox refuses
 * to refund a charge it did not make or more than the charge took. What it did is kept in its
 * `ledger`: payments gives it one in its database, so the keys hold across restarts and replicas;
 * the default one lives as long as the object.
 */
export class SandboxProvider implements PaymentProvider {
  /** The charges this object made, oldest first (replays of a key are not charges). */
  readonly charges: SandboxCharge[] = [];
  /** The refunds this object made, oldest first (replays of a key are not refunds). */
  readonly refunds: SandboxRefund[] = [];

  constructor(private readonly ledger: SandboxLedger = new MemorySandboxLedger()) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const fingerprint = JSON.stringify([
      request.amountCents,
      request.currency,
      request.token,
      request.description,
    ]);
    const entry = await this.ledger.recordCharge({
      idempotencyKey: request.idempotencyKey,
      fingerprint,
      amountCents: request.amountCents,
      result: this.decide(request.token),
    });
    if (entry.fingerprint !== fingerprint) throw new Error(REUSED_KEY);
    if (entry.made) {
      this.charges.push({
        idempotencyKey: request.idempotencyKey,
        amountCents: request.amountCents,
        token: request.token,
        result: entry.result,
      });
    }
    return entry.result;
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    if (!Number.isInteger(request.amountCents) || request.amountCents <= 0) {
      throw new SandboxRefundRefused(`Invalid refund amount: ${request.amountCents}`);
    }
    const fingerprint = JSON.stringify([request.chargeId, request.amountCents]);
    const entry = await this.ledger.recordRefund({
      idempotencyKey: request.idempotencyKey,
      fingerprint,
      chargeId: request.chargeId,
      amountCents: request.amountCents,
      refundId: `re_sandbox_${crypto.randomBytes(12).toString('hex')}`,
    });
    if (entry.fingerprint !== fingerprint) throw new Error(REUSED_KEY);
    if (entry.made) {
      this.refunds.push({
        idempotencyKey: request.idempotencyKey,
        chargeId: request.chargeId,
        amountCents: request.amountCents,
        refundId: entry.result.refundId,
      });
    }
    return entry.result;
  }

  private decide(token: string): ChargeResult {
    if (SUCCEEDING.has(token))
      return { status: 'succeeded', chargeId: `ch_sandbox_${crypto.randomBytes(12).toString('hex')}` };
    return { status: 'declined', message: decline(token) ?? `No such PaymentMethod: '${token}'` };
  }
}
