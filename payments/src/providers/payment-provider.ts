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
export type ChargeResult = { status: 'succeeded'; chargeId: string } | { status: 'declined'; message: string };

/**
 * A card payment provider. `charge` resolves with the outcome, or rejects when the outcome is
 * unknown (network failure, provider outage): then the same request, with the same idempotency
 * key, may be sent again.
 */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeResult>;
}
