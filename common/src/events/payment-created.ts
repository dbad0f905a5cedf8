import { defineEvent, uuidSchema } from './contract';

/** An order was paid. */
export interface PaymentCreatedData {
  id: string;
  orderId: string;
  /** The provider's charge id (Stripe PaymentIntent id, or the sandbox's). */
  stripeId: string;
}

export const paymentCreated = defineEvent<'payment.created', PaymentCreatedData>({
  subject: 'payment.created',
  description: 'An order was paid; orders completes it.',
  key: (data) => data.orderId,
  schema: {
    type: 'object',
    properties: {
      id: uuidSchema,
      orderId: uuidSchema,
      stripeId: { type: 'string', minLength: 1, maxLength: 255 },
    },
    required: ['id', 'orderId', 'stripeId'],
    additionalProperties: false,
  },
});
