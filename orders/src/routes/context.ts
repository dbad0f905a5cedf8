import type { Database } from '@ticketing/common';

/** What orders' routes need, built once by `buildApp`. */
export interface OrdersContext {
  db: Database;
  /** How long a new order reserves its ticket. */
  expirationWindowSeconds: number;
  /** Unpaid orders one buyer may hold at once. */
  maxLiveOrdersPerUser: number;
}
