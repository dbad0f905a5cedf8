import { isInsideTransaction } from '@ticketing/common';
import type { ChargeRequest, PaymentProvider, RefundRequest } from './payment-provider';

/** A provider was called from inside a database transaction (a programming error). */
export class ProviderCallInTransactionError extends Error {
  constructor(operation: string) {
    super(
      `payment provider ${operation} called inside a database transaction: commit first, call the provider, then record the outcome in a new transaction`,
    );
    this.name = 'ProviderCallInTransactionError';
  }
}

/**
 * `provider`, refusing every call made inside a database transaction: a provider call can take as
 * long as Stripe's client waits (15 s, retried twice), and a transaction open that long holds its
 * connection and row locks (an order's, a payment's) against everyone else. Payments' dependencies
 * wrap the provider in this, so a call added back inside a transaction fails its tests.
 */
export function outsideTransactionsOnly(provider: PaymentProvider): PaymentProvider {
  return {
    async charge(request: ChargeRequest) {
      if (isInsideTransaction()) throw new ProviderCallInTransactionError('charge');
      return provider.charge(request);
    },
    async refund(request: RefundRequest) {
      if (isInsideTransaction()) throw new ProviderCallInTransactionError('refund');
      return provider.refund(request);
    },
  };
}
