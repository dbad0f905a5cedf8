import { defineEvent, uuidSchema, versionSchema } from './contract';

/** An order was cancelled (by its buyer or by expiry); its ticket is free again if the order held it. */
export interface OrderCancelledData {
  id: string;
  version: number;
  ticket: { id: string };
}

export const orderCancelled = defineEvent<'order.cancelled', OrderCancelledData>({
  subject: 'order.cancelled',
  description: 'An order was cancelled by its buyer or by expiry.',
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
