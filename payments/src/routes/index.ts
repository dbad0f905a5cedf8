import { Router } from 'express';
import type { Database } from '@ticketing/common';
import type { PaymentProvider } from '../providers';
import type { DeclineLimits } from '../domain/payment-attempts';
import { createPaymentRouter } from './create-payment';

/** Every route of the payments service. */
export function paymentsRouter(
  db: Database,
  provider: PaymentProvider,
  declineLimits: DeclineLimits,
): Router {
  const router = Router();
  router.use(createPaymentRouter(db, provider, declineLimits));
  return router;
}
