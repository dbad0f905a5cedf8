/** Test helpers: a private PostgreSQL and nats-server per run, never the machine's own. */
export * from './nats-server';
export * from './postgres';
export * from './test-database';
export * from './wait-for';
export * from './events';
export * from './session';
