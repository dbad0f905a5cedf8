import type { ErrorEntry } from '../errors/http-error';
import type { OrderStatus } from '../events/order-created';

/** A ticket as the API returns it (docs/openapi.yaml, `Ticket`). */
export interface TicketResource {
  id: string;
  title: string;
  /** Dollars, at most 2 decimals. */
  price: number;
  userId: string;
  version: number;
  /** The order holding (or that bought) the ticket; null when it is free. */
  orderId: string | null;
}

/** An order as the API returns it, with its ticket as the orders service holds it now. */
export interface OrderResource {
  id: string;
  userId: string;
  status: OrderStatus;
  /** ISO 8601 UTC. */
  expiresAt: string;
  ticket: { id: string; title: string; price: number; version: number };
  version: number;
}

/** Every error response's body. */
export interface ErrorBody {
  errors: ErrorEntry[];
}
