/**
 * Local servers for development and tests: a PostgreSQL server and a nats-server with JetStream
 * started as child processes (`startLocalPostgres`, `startLocalNatsServer`), a nats-server cluster on
 * loopback addresses (`startLocalNatsCluster`) and network partitions between its nodes
 * (`partitionNode`), and free ports.
 */
export * from './postgres';
export * from './nats-server';
export * from './nats-cluster';
export * from './nats-partition';
export * from './ports';
export { lineSplitter } from './lines';
