import type { RouteContext } from '@ticketing/common';
import type { Config } from '../config';
import type { PaymentsDeps } from '../dependencies';
import type { DeclineLimits } from '../domain/payment-attempts';

/** What payments' routes get: common's route context, with the provider of payments' dependencies hook. */
export type PaymentsContext = RouteContext<Config, PaymentsDeps>;

/** How many declined attempts an order and a buyer may have within a window, from the config. */
export function declineLimits(config: Config): DeclineLimits {
  return {
    maxPerOrder: config.PAYMENT_MAX_DECLINES_PER_ORDER,
    maxPerUser: config.PAYMENT_MAX_DECLINES_PER_USER,
    windowSeconds: config.PAYMENT_DECLINE_WINDOW_SECONDS,
  };
}
