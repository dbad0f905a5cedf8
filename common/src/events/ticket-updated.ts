import { defineEvent, priceSchema, uuidSchema, versionSchema } from './contract';

/** A ticket changed: edited, reserved, released or sold. */
export interface TicketUpdatedData {
  id: string;
  version: number;
  title: string;
  price: number;
  userId: string;
  /** The order holding the ticket, or null when it is free. */
  orderId: string | null;
}

export const ticketUpdated = defineEvent<'ticket.updated', TicketUpdatedData>({
  subject: 'ticket.updated',
  description:
    'A ticket changed: edited by its seller, reserved, released or sold. Version +1 on every change.',
  key: (data) => data.id,
  schema: {
    type: 'object',
    properties: {
      id: uuidSchema,
      version: versionSchema,
      title: { type: 'string', minLength: 1, maxLength: 120 },
      price: priceSchema,
      userId: uuidSchema,
      // A plain JSON Schema union, readable by any language's validator (ajv's typing wants `nullable`).
      orderId: { type: ['string', 'null'], format: 'uuid' } as never,
    },
    required: ['id', 'version', 'title', 'price', 'userId', 'orderId'],
    additionalProperties: false,
  },
});
