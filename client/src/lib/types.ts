/** Shapes of the API's responses (docs/openapi.yaml, components/schemas; prose in docs/contract.md). */

export interface CurrentUser {
  id: string;
  email: string;
  iat?: number;
  exp?: number;
}

// The API's resources are declared once, in common (type-only: nothing of common reaches the bundle).
export type { TicketResource as Ticket, OrderResource as Order } from '@ticketing/common';
