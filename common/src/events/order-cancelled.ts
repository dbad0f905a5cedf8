import { defineEvent, orderTicketRefSchema, type OrderTicketRef } from './contract';

/** An order was cancelled (by its buyer or by expiry); its ticket is free again if the order held it. */
export type OrderCancelledData = OrderTicketRef;

export const orderCancelled = defineEvent<'order.cancelled', OrderCancelledData>({
  subject: 'order.cancelled',
  description: 'An order was cancelled by its buyer or by expiry.',
  key: (data) => data.id,
  schema: orderTicketRefSchema,
});
