import type { RouteContext } from '@ticketing/common';
import type { Config } from '../config';
import type { PaymentsDeps } from '../dependencies';

/** What payments' routes get: common's route context, with the provider of payments' dependencies hook. */
export type PaymentsContext = RouteContext<Config, PaymentsDeps>;
