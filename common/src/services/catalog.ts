import type { Subject } from '../events/catalog';

/** What one service owns on the event bus. */
export interface ServiceDeclaration {
  /** The subjects whose events only this service writes (its outbox). */
  publishes: readonly Subject[];
  /** The subjects it has a durable consumer for. */
  consumes: readonly Subject[];
}

/**
 * Every backend service of the system, declared once: the names, the events each publishes and
 * consumes. The NATS permissions, the invariant checker, the dependency rules, the manifests and
 * the one-command start are all derived from this table.
 */
export const serviceCatalog = {
  auth: { publishes: [], consumes: [] },
  tickets: {
    publishes: ['ticket.created', 'ticket.updated'],
    consumes: ['order.created', 'order.cancelled', 'order.completed'],
  },
  orders: {
    publishes: ['order.created', 'order.cancelled', 'order.completed'],
    consumes: ['ticket.created', 'ticket.updated', 'expiration.complete', 'payment.created'],
  },
  expiration: { publishes: ['expiration.complete'], consumes: ['order.created'] },
  payments: {
    publishes: ['payment.created'],
    consumes: ['order.created', 'order.cancelled', 'order.completed'],
  },
} as const satisfies Record<string, ServiceDeclaration>;

/** A backend service's name. */
export type ServiceName = keyof typeof serviceCatalog;

/** The backend services, in start order. */
export const serviceNames = Object.keys(serviceCatalog) as ServiceName[];

/** The declaration of a service, or undefined for a name the catalog does not know. */
export function declarationOf(name: string): ServiceDeclaration | undefined {
  return (serviceCatalog as Record<string, ServiceDeclaration>)[name];
}
