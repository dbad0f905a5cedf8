import type { BaseDeps } from '@ticketing/common';
import type { Config } from './config';
import { createPaymentProvider, outsideTransactionsOnly, type PaymentProvider } from './providers';

/** What payments builds once per start: the provider its routes, refund worker and reconciler share. */
export interface PaymentsDeps {
  /** Refuses calls made inside a database transaction (`outsideTransactionsOnly`). */
  provider: PaymentProvider;
}

/**
 * payments' `dependencies` hook: the provider the config selects (Stripe when STRIPE_SECRET_KEY is
 * set, else the sandbox, with its ledger in `db`), or `provider` when given (tests count its
 * charges and refunds); either way refusing calls from inside a transaction.
 */
export function paymentsDependencies(
  { config, db }: Pick<BaseDeps<Config>, 'config' | 'db'>,
  provider?: PaymentProvider,
): PaymentsDeps {
  return { provider: outsideTransactionsOnly(provider ?? createPaymentProvider(config, db)) };
}
