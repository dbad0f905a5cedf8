import { ConfigError } from '../config/config';
import { DEFAULT_BATCHES_IN_FLIGHT } from '../messaging/relay';

/**
 * Connections an outbox relay may hold at once: its batches in flight (each a transaction until its
 * rows are marked), its LISTEN connection, and one for its housekeeping queries (retention
 * cleanup, the next due time).
 */
export const RELAY_CONNECTIONS = DEFAULT_BATCHES_IN_FLIGHT + 2;

/**
 * The share of the pool left to HTTP routes and background work (inbox and idempotency-key
 * janitors, the metrics poll, a service's own jobs): what the whole pool was before it followed
 * the consumers.
 */
export const HTTP_CONNECTIONS = 10;

/** What a service's database pool must serve at once. */
export interface PoolDemand {
  /** The concurrency of each of its consumers (each message in hand holds a transaction). */
  consumerConcurrencies: Iterable<number>;
  /** Whether it runs an outbox relay (a service on the bus does). */
  relay: boolean;
  /** `DATABASE_POOL_MAX`, when set. */
  setting?: number;
}

/**
 * The most connections a service's pool opens: `DATABASE_POOL_MAX` when set, else every consumer's
 * concurrency, plus the relay's `RELAY_CONNECTIONS`, plus `HTTP_CONNECTIONS`. Throws `ConfigError`
 * for a setting below what the consumers and the relay alone may hold plus one for HTTP: their
 * handlers would queue for a connection while their ack_wait runs.
 */
export function databasePoolSize(demand: PoolDemand): number {
  const consumers = [...demand.consumerConcurrencies].reduce((sum, n) => sum + n, 0);
  const relay = demand.relay ? RELAY_CONNECTIONS : 0;
  if (demand.setting === undefined) return consumers + relay + HTTP_CONNECTIONS;
  const least = consumers + relay + 1;
  if (demand.setting < least) {
    throw new ConfigError([
      `DATABASE_POOL_MAX must be at least ${least} for this service (its consumers may hold ${consumers} connections at once and its relay ${relay}, plus one for HTTP), got ${demand.setting}; raise it or lower CONSUMER_CONCURRENCY`,
    ]);
  }
  return demand.setting;
}
