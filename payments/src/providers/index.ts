import { ConfigError, type Database } from '@ticketing/common';
import type { Config } from '../config';
import type { PaymentProvider } from './payment-provider';
import { DatabaseSandboxLedger } from './sandbox-ledger';
import { SandboxProvider } from './sandbox-provider';
import { StripeProvider } from './stripe-provider';

export type {
  ChargeRequest,
  ChargeResult,
  PaymentProvider,
  RefundRequest,
  RefundResult,
} from './payment-provider';
export { SandboxProvider } from './sandbox-provider';
export { DatabaseSandboxLedger, MemorySandboxLedger, type SandboxLedger } from './sandbox-ledger';
export { StripeProvider } from './stripe-provider';
export { ProviderCallInTransactionError, outsideTransactionsOnly } from './outside-transactions-only';

/**
 * Which provider the config selects: PAYMENT_PROVIDER when set, else Stripe when STRIPE_SECRET_KEY
 * is set, else the sandbox, except in production, where a missing key must not quietly turn real
 * payments into sandbox ones. Throws `ConfigError` naming the setting (checked at start-up).
 */
export function choosePaymentProvider(config: Config): 'stripe' | 'sandbox' {
  const chosen = config.PAYMENT_PROVIDER as 'stripe' | 'sandbox' | undefined;
  if (chosen === 'sandbox') return 'sandbox';
  if (config.STRIPE_SECRET_KEY) return 'stripe';
  if (chosen === 'stripe') {
    throw new ConfigError(['STRIPE_SECRET_KEY is required when PAYMENT_PROVIDER=stripe']);
  }
  if (config.NODE_ENV === 'production') {
    throw new ConfigError([
      'STRIPE_SECRET_KEY is required in production (or set PAYMENT_PROVIDER=sandbox to take no real payments)',
    ]);
  }
  return 'sandbox';
}

/** The provider `choosePaymentProvider` selects; the sandbox keeps its ledger in `db` (payments' database). */
export function createPaymentProvider(config: Config, db: Database): PaymentProvider {
  if (choosePaymentProvider(config) === 'sandbox') return new SandboxProvider(new DatabaseSandboxLedger(db));
  const protocol = config.STRIPE_API_PROTOCOL;
  if (protocol !== undefined && protocol !== 'http' && protocol !== 'https') {
    throw new ConfigError([`STRIPE_API_PROTOCOL must be http or https, got "${protocol}"`]);
  }
  return new StripeProvider(config.STRIPE_SECRET_KEY!, {
    host: config.STRIPE_API_HOST,
    port: config.STRIPE_API_PORT,
    protocol,
  });
}
