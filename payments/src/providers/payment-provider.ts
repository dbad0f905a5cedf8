/** One charge request. */
export interface ChargeRequest {
  /** Integer cents. */
  amountCents: number;
  currency: 'usd';
  /** A payment method id (`pm_…`) or a card token (`tok_…`). */
  token: string;
  /** The provider charges at most once per key and replays the first result for a repeat. */
  idempotencyKey: string;
  description: string;
}

/** What the provider did: took the money, or refused without taking it. */
export type ChargeResult =
  { status: 'succeeded'; chargeId: string } | { status: 'declined'; message: string };

/** One refund of (part of) a succeeded charge. */
export interface RefundRequest {
  /** The charge to refund (`ChargeResult.chargeId`). */
  chargeId: string;
  /** Integer cents, at most what the charge took minus what was refunded already. */
  amountCents: number;
  /** The provider refunds at most once per key and replays the first result for a repeat. */
  idempotencyKey: string;
}

/** The refund the provider made (or replayed for a repeated key). */
export interface RefundResult {
  refundId: string;
}

/**
 * A card payment provider. `charge` resolves with the outcome, or rejects when the outcome is
 * unknown (network failure, provider outage): then the same request, with the same idempotency
 * key, may be sent again. `refund` resolves once the provider has accepted the refund and
 * rejects otherwise (refused, or outcome unknown): the same request, same key, may be sent again.
 */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
}
