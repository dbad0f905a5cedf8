/**
 * NATS for the local system: `NATS_URL` when given, otherwise common's local nats-server with its
 * JetStream store under `.data/nats` (kept across restarts), running the generated authorization
 * (one user per service, random passwords kept in `.data/nats-passwords/`).
 */
import path from 'node:path';
import {
  connectNats,
  ensureStream,
  NATS_ADMIN_USER,
  natsAuthorization,
  natsUsers,
  passwordEnvVar,
  passwordValue,
  silentLogger,
  type StreamSettings,
} from '@ticketing/common';
import { startLocalNatsServer, type LocalNatsServer } from '@ticketing/common/local';
import type { LogSink } from './log';
import { readOrCreateSecret } from './secret-file';

export { NatsServerNotFoundError } from '@ticketing/common/local';

/** The system's NATS: common's local nats-server, or the one at NATS_URL (`owned: false`: kill/restart then throw). */
export type NatsHandle = Pick<LocalNatsServer, 'url' | 'pid' | 'kill' | 'restart' | 'stop'> & {
  owned: boolean;
  /**
   * NATS_USER and NATS_PASSWORD of a service (or the admin); empty for a service with no NATS user
   * (auth), or when NATS_URL's server gets no password for it (NATS_PASSWORD_<USER>).
   */
  credentialsEnv(user: string): { NATS_USER?: string; NATS_PASSWORD?: string };
  /** The admin step: creates the event stream or brings it to `settings`, as the admin user. */
  setupStream(settings?: StreamSettings): Promise<void>;
};

function handleParts(
  url: string,
  password: (user: string) => string | undefined,
): Pick<NatsHandle, 'credentialsEnv' | 'setupStream'> {
  const credentialsEnv = (user: string) => {
    const pass = natsUsers().includes(user) ? password(user) : undefined;
    return pass === undefined ? {} : { NATS_USER: user, NATS_PASSWORD: pass };
  };
  return {
    credentialsEnv,
    async setupStream(settings) {
      const admin = credentialsEnv(NATS_ADMIN_USER);
      const nc = await connectNats({
        servers: url,
        name: 'nats-setup',
        user: admin.NATS_USER,
        password: admin.NATS_PASSWORD,
        logger: silentLogger(),
      });
      try {
        await ensureStream(nc, settings);
      } finally {
        await nc.close();
      }
    },
  };
}

/** Uses `url` when given; otherwise starts nats-server (on `port` when free) with its store in `storeDir`. */
export async function startNats(options: {
  url?: string;
  storeDir: string;
  /** Preferred port (any free port when taken). Default: any free port. */
  port?: number;
  log: LogSink;
  env?: NodeJS.ProcessEnv;
  /** Where to look besides PATH (default /usr/sbin, /usr/local/bin). */
  searchDirs?: string[];
}): Promise<NatsHandle> {
  if (options.url) {
    const notOwned = () => Promise.reject(new Error('NATS_URL points at a server this system does not own'));
    const env = options.env ?? process.env;
    return {
      ...handleParts(options.url, (user) => env[passwordEnvVar(user)] || undefined),
      url: options.url,
      owned: false,
      pid: () => undefined,
      kill: notOwned,
      restart: notOwned,
      stop: async () => undefined,
    };
  }
  const verbose = (options.env ?? process.env).LOG_LEVEL === 'debug';
  const passwordsDir = path.join(path.dirname(options.storeDir), 'nats-passwords');
  const passwords = new Map(natsUsers().map((u) => [u, readOrCreateSecret(path.join(passwordsDir, u), 24)]));
  const server = await startLocalNatsServer({
    config: natsAuthorization({ password: (u) => passwordValue.literal(passwords.get(u)!) }),
    storeDir: options.storeDir,
    port: options.port,
    env: options.env,
    searchDirs: options.searchDirs,
    // Its own process group: Ctrl-C in the terminal reaches the system, which stops nats-server last.
    detached: true,
    alternative: 'set NATS_URL to a running server with JetStream',
    log: (line) => {
      // The start-up banner is two dozen [INF] lines: show warnings, errors and the ready line.
      if (verbose || !line.includes('[INF]') || /Server is ready|Listening for client/.test(line))
        options.log(`[nats] ${line}`);
    },
  });
  return { ...server, ...handleParts(server.url, (u) => passwords.get(u)), owned: true };
}
