import { Router } from 'express';
import { body } from 'express-validator';
import {
  idempotencyKey,
  rejectUnknownFields,
  requireAuth,
  sendAnswer,
  silentLogger,
  validateRequest,
  withIdempotencyKey,
} from '@ticketing/common';
import { payOrder } from '../domain/pay-order';
import { payOrderOnce } from '../domain/pay-order-once';
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

/**
 * POST /api/payments `{ orderId, token }` → 201 `{ id }`; the rules are in payOrder. With an
 * `Idempotency-Key`, payOrderOnce: a repeat replays the first answer, and a repeat of a request
 * that died after the provider charged gets that charge's 201, never a second charge.
 */
export function createPaymentRouter({ db, config, deps }: PaymentsContext): Router {
  const limits = declineLimits(config);
  const router = Router();
  router.post(
    '/api/payments',
    requireAuth,
    idempotencyKey({ retentionHours: config.IDEMPOTENCY_KEY_RETENTION_HOURS }),
    rejectUnknownFields(['orderId', 'token']),
    ...validators,
    validateRequest,
    async (req, res) => {
      const { orderId, token } = req.body as { orderId: string; token: string };
      const input = { orderId, token, userId: req.currentUser!.id };
      const logger = req.log ?? silentLogger();
      const key = req.idempotency;
      if (key) {
        const answer = await withIdempotencyKey(db, key, (keyDb) =>
          payOrderOnce(keyDb, deps.provider, input, key, logger, limits),
        );
        sendAnswer(res, answer);
        return;
      }
      const payment = await payOrder(db, deps.provider, input, logger, limits);
      res.status(201).json({ id: payment.id });
    },
  );
  return router;
}
