import Stripe from 'stripe';
import type {
  ChargeRequest,
  ChargeResult,
  PaymentProvider,
  RefundRequest,
  RefundResult,
} from './payment-provider';

/** Where the Stripe client sends its requests (tests point it at a local server). */
export interface StripeEndpoint {
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

/**
 * Charges with Stripe PaymentIntents, created and confirmed in one call with the idempotency key,
 * so a retried request (by the client's own network retries or by a resumed attempt) never
 * charges twice. A card error is a decline; so is an invalid request (e.g. an unknown payment
 * method): Stripe charged nothing. Anything else leaves the outcome unknown and rejects.
 * Refunds go to the PaymentIntent (the charge id) with their own idempotency key; any error, or a
 * refund Stripe reports failed or canceled, rejects.
 */
export class StripeProvider implements PaymentProvider {
  private readonly stripe: Stripe;

  constructor(secretKey: string, endpoint: StripeEndpoint = {}) {
    // Retries (same key) and timeouts together stay well inside STALE_ATTEMPT_MS, so an attempt
    // still being worked on is never taken for an abandoned one.
    this.stripe = new Stripe(secretKey, { ...endpoint, maxNetworkRetries: 2, timeout: 15_000 });
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const params: Stripe.PaymentIntentCreateParams = {
      amount: request.amountCents,
      currency: request.currency,
      description: request.description,
      confirm: true,
      // Cards only, confirmed server-side: no redirect-based methods.
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    };
    if (request.token.startsWith('tok_')) {
      // A legacy card token becomes the payment method inline. The API takes card[token] here, the
      // typings leave `card` out of payment_method_data, so it is added through a widened object.
      const tokenAsPaymentMethod = { type: 'card' as const, card: { token: request.token } };
      params.payment_method_data = tokenAsPaymentMethod;
    } else {
      params.payment_method = request.token;
    }
    try {
      const intent = await this.stripe.paymentIntents.create(params, {
        idempotencyKey: request.idempotencyKey,
      });
      if (intent.status === 'succeeded') return { status: 'succeeded', chargeId: intent.id };
      // e.g. requires_action (3-D Secure): this server-side flow cannot complete it.
      return { status: 'declined', message: `Payment not completed: ${intent.status}` };
    } catch (err) {
      if (
        err instanceof Stripe.errors.StripeCardError ||
        err instanceof Stripe.errors.StripeInvalidRequestError
      ) {
        return { status: 'declined', message: err.message };
      }
      throw err;
    }
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const refund = await this.stripe.refunds.create(
      { payment_intent: request.chargeId, amount: request.amountCents },
      { idempotencyKey: request.idempotencyKey },
    );
    if (refund.status === 'failed' || refund.status === 'canceled') {
      throw new Error(
        `Stripe refund ${refund.id} ${refund.status}: ${refund.failure_reason ?? 'no reason given'}`,
      );
    }
    return { refundId: refund.id };
  }
}
