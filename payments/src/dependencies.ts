import type { BaseDeps } from '@ticketing/common';
import type { Config } from './config';
import { createPaymentProvider, type PaymentProvider } from './providers';

/** What payments builds once per start: the provider its routes, refunds and reconciler share. */
export interface PaymentsDeps {
  provider: PaymentProvider;
}

/**
 * payments' `dependencies` hook: the provider the config selects (Stripe when STRIPE_SECRET_KEY is
 * set, else the sandbox), or `provider` when given (tests count its charges and refunds).
 */
export function paymentsDependencies(
  { config }: Pick<BaseDeps<Config>, 'config'>,
  provider?: PaymentProvider,
): PaymentsDeps {
  return { provider: provider ?? createPaymentProvider(config) };
}
