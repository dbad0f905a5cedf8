import { ConfigError } from '@ticketing/common';
import type { Config } from '../config';
import type { PaymentProvider } from './payment-provider';
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
export { StripeProvider } from './stripe-provider';

/** Stripe when STRIPE_SECRET_KEY is set, otherwise the built-in sandbox. */
export function createPaymentProvider(config: Config): PaymentProvider {
  if (!config.STRIPE_SECRET_KEY) return new SandboxProvider();
  const protocol = config.STRIPE_API_PROTOCOL;
  if (protocol !== undefined && protocol !== 'http' && protocol !== 'https') {
    throw new ConfigError([`STRIPE_API_PROTOCOL must be http or https, got "${protocol}"`]);
  }
  return new StripeProvider(config.STRIPE_SECRET_KEY, {
    host: config.STRIPE_API_HOST,
    port: config.STRIPE_API_PORT,
    protocol,
  });
}
