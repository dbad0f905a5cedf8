import { startLocalNatsServer, type LocalNatsServer } from '../local/nats-server';

export { findNatsServer } from '../local/nats-server';

/** A nats-server with JetStream that a test started for itself (`stop` removes its temp dirs). */
export type NatsServerHandle = LocalNatsServer;

/**
 * Starts nats-server with JetStream on a free port and a temp store (or `storeDir`, kept). Ports
 * come from the server itself (`-p -1` and a ports file), so parallel test files never collide.
 */
export function startNatsServer(options: { storeDir?: string } = {}): Promise<NatsServerHandle> {
  return startLocalNatsServer({ storeDir: options.storeDir });
}
