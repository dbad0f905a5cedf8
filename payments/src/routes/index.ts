import { Router } from 'express';
import type { Database } from '@ticketing/common';
import type { PaymentProvider } from '../providers';
import { createPaymentRouter } from './create-payment';

/** Every route of the payments service. */
export function paymentsRouter(db: Database, provider: PaymentProvider): Router {
  const router = Router();
  router.use(createPaymentRouter(db, provider));
  return router;
}
