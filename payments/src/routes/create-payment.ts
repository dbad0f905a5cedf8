import { Router } from 'express';
import { body } from 'express-validator';
import { rejectUnknownFields, requireAuth, silentLogger, validateRequest } from '@ticketing/common';
import { payOrder } from '../domain/pay-order';
import { declineLimits, type PaymentsContext } from './context';

const validators = [
  body('orderId')
    .isString()
    .withMessage('orderId must be a string')
    .bail()
    .isUUID()
    .withMessage('orderId must be a valid id'),
  body('token')
    .isString()
    .withMessage('token must be a string')
    .bail()
    .isLength({ min: 1, max: 255 })
    .withMessage('token must be 1 to 255 characters')
    .bail()
    .matches(/^[A-Za-z0-9_]+$/)
    .withMessage('token must be a payment method id or card token'),
];

/** POST /api/payments `{ orderId, token }` → 201 `{ id }`; the rules are in payOrder. */
export function createPaymentRouter({ db, config, deps }: PaymentsContext): Router {
  const limits = declineLimits(config);
  const router = Router();
  router.post(
    '/api/payments',
    requireAuth,
    rejectUnknownFields(['orderId', 'token']),
    ...validators,
    validateRequest,
    async (req, res) => {
      const { orderId, token } = req.body as { orderId: string; token: string };
      const payment = await payOrder(
        db,
        deps.provider,
        { orderId, token, userId: req.currentUser!.id },
        req.log ?? silentLogger(),
        limits,
      );
      res.status(201).json({ id: payment.id });
    },
  );
  return router;
}
