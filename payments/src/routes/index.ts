import { Router } from 'express';
import type { PaymentsContext } from './context';
import { createPaymentRouter } from './create-payment';

export type { PaymentsContext } from './context';

/** Every route of the payments service. */
export function paymentsRouter(context: PaymentsContext): Router {
  return Router().use(createPaymentRouter(context));
}
