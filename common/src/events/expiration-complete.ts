import { defineEvent, uuidSchema } from './contract';

/** An order's reservation window has passed. */
export interface ExpirationCompleteData {
  orderId: string;
}

export const expirationComplete = defineEvent<'expiration.complete', ExpirationCompleteData>({
  subject: 'expiration.complete',
  description: "An order's reservation window has passed; orders cancels it unless it is complete.",
  key: (data) => data.orderId,
  schema: {
    type: 'object',
    properties: { orderId: uuidSchema },
    required: ['orderId'],
    additionalProperties: false,
  },
});
