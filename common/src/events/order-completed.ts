import { defineEvent, orderTicketRefSchema, type OrderTicketRef } from './contract';

/** An order was paid; its ticket is sold for good. */
export type OrderCompletedData = OrderTicketRef;

export const orderCompleted = defineEvent<'order.completed', OrderCompletedData>({
  subject: 'order.completed',
  description: 'An order was paid; its ticket is sold for good.',
  key: (data) => data.id,
  schema: orderTicketRefSchema,
});
