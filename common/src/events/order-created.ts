import { defineEvent, priceSchema, uuidSchema, versionSchema } from './contract';

/** Order statuses, in the order an order moves through them. */
export const orderStatuses = ['created', 'awaiting:payment', 'complete', 'cancelled'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** A buyer reserved a ticket. */
export interface OrderCreatedData {
  id: string;
  version: number;
  status: OrderStatus;
  userId: string;
  /** ISO 8601 UTC: when the reservation lapses. */
  expiresAt: string;
  ticket: { id: string; price: number };
}

export const orderCreated = defineEvent<'order.created', OrderCreatedData>({
  subject: 'order.created',
  description: 'A buyer reserved a ticket until expiresAt.',
  key: (data) => data.id,
  schema: {
    type: 'object',
    properties: {
      id: uuidSchema,
      version: versionSchema,
      status: { type: 'string', enum: [...orderStatuses] },
      userId: uuidSchema,
      expiresAt: { type: 'string', format: 'date-time' },
      ticket: {
        type: 'object',
        properties: { id: uuidSchema, price: priceSchema },
        required: ['id', 'price'],
        additionalProperties: false,
      },
    },
    required: ['id', 'version', 'status', 'userId', 'expiresAt', 'ticket'],
    additionalProperties: false,
  },
});
