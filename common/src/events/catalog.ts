import type { EventContract } from './contract';
import { expirationComplete } from './expiration-complete';
import { orderCancelled } from './order-cancelled';
import { orderCompleted } from './order-completed';
import { orderCreated } from './order-created';
import { paymentCreated } from './payment-created';
import { ticketCreated } from './ticket-created';
import { ticketUpdated } from './ticket-updated';

/** Every event of the system, by subject. */
export const eventCatalog = {
  'ticket.created': ticketCreated,
  'ticket.updated': ticketUpdated,
  'order.created': orderCreated,
  'order.cancelled': orderCancelled,
  'order.completed': orderCompleted,
  'expiration.complete': expirationComplete,
  'payment.created': paymentCreated,
} as const;

export type EventCatalog = typeof eventCatalog;
/** A subject of the catalog. */
export type Subject = keyof EventCatalog;
/** The payload type of a subject. */
export type EventData<S extends Subject> = EventCatalog[S] extends EventContract<S, infer D> ? D : never;

/** The contract of a subject, or undefined for one the catalog does not know. */
export function contractFor(subject: string): EventContract | undefined {
  return (eventCatalog as Record<string, EventContract>)[subject];
}
