import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startLocalNatsServer, type LocalNatsServer } from '../local/nats-server';
import { ensureStream, inboxPrefixOf, type StreamSettings } from '../messaging/nats';
import {
  NATS_ADMIN_USER,
  natsAuthorization,
  natsUsers,
  passwordValue,
  randomNatsPassword,
} from '../messaging/nats-auth';

export { findNatsServer } from '../local/nats-server';

/**
 * A user that exists only in the tests' server: allowed everything, for tests of common's
 * messaging core that play no particular service. Never part of a deployed configuration.
 */
export const NATS_TEST_USER = 'test';

/** A NATS user's name and password. */
export interface NatsCredentials {
  user: string;
  password: string;
}

/**
 * A nats-server with JetStream that a test started for itself (`stop` removes its temp dirs). It
 * runs the project's generated authorization: anonymous connections are refused; each service
 * connects as itself.
 */
export type NatsServerHandle = LocalNatsServer & {
  /** The credentials of a service, the admin or the test user. */
  credentials(user: string): NatsCredentials;
  /** Connects as `user` (default the test user), with that user's inbox prefix. */
  connect(user?: string): Promise<NatsConnection>;
  /** NATS_URL, NATS_USER and NATS_PASSWORD for a service's process. */
  env(user: string): { NATS_URL: string; NATS_USER: string; NATS_PASSWORD: string };
};

const servers = new Map<string, Map<string, string>>();

/** Connects to a test server as `user`; anonymously to a server the tests did not start. */
export async function connectTestUser(url: string, user: string = NATS_TEST_USER): Promise<NatsConnection> {
  const passwords = servers.get(url);
  const password = passwords?.get(user);
  if (passwords && password === undefined) throw new Error(`the test nats-server has no user ${user}`);
  return connect({
    servers: url,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
    ...(passwords ? { user, pass: password, inboxPrefix: inboxPrefixOf(user) } : {}),
  });
}

/** The test user when `user` has no account on the test server at `url` (e.g. a made-up service). */
export function testUserFor(url: string, user: string): string {
  return servers.get(url)?.has(user) ? user : NATS_TEST_USER;
}

/**
 * Starts nats-server with JetStream on a free port and a temp store (or `storeDir`, kept), with
 * the generated authorization and random passwords, then creates the event stream as the admin
 * (with `stream` settings) as the deployed setup step would. Ports come from the server itself
 * (`-p -1` and a ports file), so parallel test files never collide.
 */
export async function startNatsServer(
  options: { storeDir?: string; stream?: StreamSettings } = {},
): Promise<NatsServerHandle> {
  const passwords = new Map<string, string>(
    [...natsUsers(), NATS_TEST_USER].map((u) => [u, randomNatsPassword()]),
  );
  const config = natsAuthorization({
    password: (u) => passwordValue.literal(passwords.get(u)!),
    extraUsers: [
      {
        user: NATS_TEST_USER,
        password: passwordValue.literal(passwords.get(NATS_TEST_USER)!),
        permissions: 'all',
      },
    ],
  });
  const server = await startLocalNatsServer({ storeDir: options.storeDir, config });
  servers.set(server.url, passwords);
  const credentials = (user: string): NatsCredentials => {
    const password = passwords.get(user);
    if (password === undefined) throw new Error(`the test nats-server has no user ${user}`);
    return { user, password };
  };
  try {
    const admin = await connectTestUser(server.url, NATS_ADMIN_USER);
    try {
      await ensureStream(admin, options.stream);
    } finally {
      await admin.close();
    }
  } catch (err) {
    servers.delete(server.url);
    await server.stop();
    throw err;
  }
  return {
    ...server,
    credentials,
    connect: (user) => connectTestUser(server.url, user),
    env: (user) => ({
      NATS_URL: server.url,
      NATS_USER: user,
      NATS_PASSWORD: credentials(user).password,
    }),
    async stop() {
      servers.delete(server.url);
      await server.stop();
    },
  };
}
