import crypto from 'node:crypto';
import type { OrderCreatedData } from '@ticketing/common';

/** An order.created payload for a new order reserved until `expiresAt` (30 s ahead unless given). */
export function orderCreatedData(overrides: Partial<OrderCreatedData> = {}): OrderCreatedData {
  return {
    id: crypto.randomUUID(),
    version: 0,
    status: 'created',
    userId: crypto.randomUUID(),
    expiresAt: new Date(Date.now() + 30_000).toISOString(),
    ticket: { id: crypto.randomUUID(), price: 20 },
    ...overrides,
  };
}
