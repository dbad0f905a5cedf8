/**
 * @ticketing/common: everything Ticketing's services share. HTTP errors and middleware, config,
 * database helpers, the event catalog with its JSON Schemas, and the reliable messaging core
 * (transactional outbox, relay, idempotent consumers). Test helpers live in `@ticketing/common/testing`.
 */
export * from './errors';
export * from './http';
export * from './config/config';
export * from './db/database';
export * from './db/migrate';
export * from './db/keyset';
export * from './db/prepared';
export * as messagingTables from './db/schema';
export * from './events';
export * from './api/resources';
export * from './api/links';
export * from './money';
export * from './messaging/outbox';
export * from './messaging/relay';
export * from './messaging/inbox-janitor';
export * from './messaging/consumer';
export * from './messaging/nats';
export * from './messaging/nats-auth';
export * from './messaging/versioning';
export * from './messaging/metrics';
export * from './service/run-service';
export * from './service/periodic-job';
export * from './services/catalog';
