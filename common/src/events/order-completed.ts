import { defineEvent, uuidSchema, versionSchema } from './contract';

/** An order was paid; its ticket is sold for good. */
export interface OrderCompletedData {
  id: string;
  version: number;
  ticket: { id: string };
}

export const orderCompleted = defineEvent<'order.completed', OrderCompletedData>({
  subject: 'order.completed',
  description: 'An order was paid; its ticket is sold for good.',
  schema: {
    type: 'object',
    properties: {
      id: uuidSchema,
      version: versionSchema,
      ticket: { type: 'object', properties: { id: uuidSchema }, required: ['id'], additionalProperties: false },
    },
    required: ['id', 'version', 'ticket'],
    additionalProperties: false,
  },
});
