import { defineEvent, priceSchema, uuidSchema, versionSchema } from './contract';

/** A seller listed a ticket. */
export interface TicketCreatedData {
  id: string;
  version: number;
  title: string;
  /** Dollars, at most 2 decimals. */
  price: number;
  userId: string;
}

export const ticketCreated = defineEvent<'ticket.created', TicketCreatedData>({
  subject: 'ticket.created',
  description: 'A seller listed a ticket (version 0).',
  key: (data) => data.id,
  schema: {
    type: 'object',
    properties: {
      id: uuidSchema,
      version: versionSchema,
      title: { type: 'string', minLength: 1, maxLength: 120 },
      price: priceSchema,
      userId: uuidSchema,
    },
    required: ['id', 'version', 'title', 'price', 'userId'],
    additionalProperties: false,
  },
});
