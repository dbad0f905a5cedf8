/** Shapes of the API's responses (docs/openapi.yaml, components/schemas; prose in docs/contract.md). */

export interface CurrentUser {
  id: string;
  email: string;
  iat?: number;
  exp?: number;
}

export interface Ticket {
  id: string;
  title: string;
  price: number;
  userId: string;
  version: number;
  orderId: string | null;
}

export interface Order {
  id: string;
  userId: string;
  status: 'created' | 'awaiting:payment' | 'complete' | 'cancelled';
  expiresAt: string;
  ticket: { id: string; title: string; price: number; version: number };
  version: number;
}
