/**
 * NATS for the local system: `NATS_URL` when given, otherwise common's local nats-server with its
 * JetStream store under `.data/nats` (kept across restarts), or a cluster of them on loopback
 * addresses (`clusterSize`, stores under `.data/nats-cluster/`), running the generated
 * authorization (one user per service, random passwords kept in `.data/nats-passwords/`).
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
  STREAM_NAME,
  streamLeader,
  type StreamSettings,
} from '@ticketing/common';
import {
  startLocalNatsCluster,
  startLocalNatsServer,
  type LocalNatsCluster,
  type LocalNatsNode,
  type LocalNatsServer,
} from '@ticketing/common/local';
import type { LogSink } from './log';
import { readOrCreateSecret } from './secret-file';

export { NatsServerNotFoundError } from '@ticketing/common/local';

/** A local NATS cluster of the system, with its nodes for fault tests. */
export interface NatsClusterHandle extends LocalNatsCluster {
  /**
   * The node leading the event stream (from JetStream's stream info), waiting while it is being
   * elected. It asks through whichever node it connects to: during a partition that node may be
   * the cut-off one, which cannot answer.
   */
  leader(timeoutMs?: number): Promise<LocalNatsNode>;
}

/**
 * The system's NATS: common's local nats-server, a local cluster (`cluster`: then `url` lists every
 * node, and pid/kill/restart act on every node), or the one at NATS_URL (`owned: false`:
 * kill/restart then throw).
 */
export type NatsHandle = Pick<LocalNatsServer, 'url' | 'pid' | 'kill' | 'restart' | 'stop'> & {
  owned: boolean;
  cluster?: NatsClusterHandle;
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
      const nc = await adminConnection(url, credentialsEnv);
      try {
        // A cluster answers JetStream requests only once it has elected its meta leader.
        const deadline = Date.now() + 60_000;
        for (;;) {
          try {
            await ensureStream(nc, settings);
            return;
          } catch (err) {
            if (Date.now() > deadline || !isJetStreamStarting(err)) throw err;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      } finally {
        await nc.close();
      }
    },
  };
}

function adminConnection(url: string, credentialsEnv: NatsHandle['credentialsEnv']) {
  const admin = credentialsEnv(NATS_ADMIN_USER);
  return connectNats({
    servers: url,
    name: 'nats-setup',
    user: admin.NATS_USER,
    password: admin.NATS_PASSWORD,
    logger: silentLogger(),
  });
}

/** JetStream's answers while a cluster elects its leaders: no answer, or 503 "temporarily unavailable". */
function isJetStreamStarting(err: unknown): boolean {
  return /timeout|temporarily unavailable|no responders|503|no suitable peers/i.test(String(err));
}

/** The user id each node of a local cluster runs as when started by root (fault tests tell nodes apart by it). */
const CLUSTER_NODE_UID_BASE = 64200;

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
  /** Nodes of a local cluster (each on its own loopback address, stores under `storeDir`); default one server. */
  clusterSize?: number;
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
  const config = natsAuthorization({ password: (u) => passwordValue.literal(passwords.get(u)!) });
  const showLine = (line: string) =>
    // The start-up banner is two dozen [INF] lines: show warnings, errors and the ready line.
    verbose || !line.includes('[INF]') || /Server is ready|Listening for client/.test(line);
  if (options.clusterSize && options.clusterSize > 1) {
    return startCluster(options.clusterSize, config, (u) => passwords.get(u), showLine, options);
  }
  const server = await startLocalNatsServer({
    config,
    storeDir: options.storeDir,
    port: options.port,
    env: options.env,
    searchDirs: options.searchDirs,
    // Its own process group: Ctrl-C in the terminal reaches the system, which stops nats-server last.
    detached: true,
    alternative: 'set NATS_URL to a running server with JetStream',
    log: (line) => {
      if (showLine(line)) options.log(`[nats] ${line}`);
    },
  });
  return { ...server, ...handleParts(server.url, (u) => passwords.get(u)), owned: true };
}

async function startCluster(
  size: number,
  config: string,
  password: (user: string) => string | undefined,
  showLine: (line: string) => boolean,
  options: Parameters<typeof startNats>[0],
): Promise<NatsHandle> {
  const cluster = await startLocalNatsCluster({
    size,
    config,
    storeDir: options.storeDir,
    env: options.env,
    searchDirs: options.searchDirs,
    uids: Array.from({ length: size }, (_, i) => CLUSTER_NODE_UID_BASE + i + 1),
    detached: true,
    alternative: 'set NATS_URL to a running server with JetStream',
    log: (line, node) => {
      if (showLine(line) || /leader|Route connection|Router connection closed/.test(line))
        options.log(`[nats-${node}] ${line}`);
    },
  });
  const parts = handleParts(cluster.url, password);
  const leader = async (timeoutMs = 30_000): Promise<LocalNatsNode> => {
    const deadline = Date.now() + timeoutMs;
    const nc = await adminConnection(cluster.url, parts.credentialsEnv);
    try {
      let last: unknown;
      while (Date.now() < deadline) {
        try {
          const name = await streamLeader(nc);
          const node = cluster.nodes.find((n) => n.name === name);
          if (node) return node;
        } catch (err) {
          last = err;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`no leader of ${STREAM_NAME} within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    } finally {
      await nc.close();
    }
  };
  return {
    ...parts,
    url: cluster.url,
    owned: true,
    cluster: { ...cluster, leader },
    pid: () => cluster.nodes.map((n) => n.pid()).find((p) => p !== undefined),
    kill: async (signal) => {
      await Promise.all(cluster.nodes.map((n) => n.kill(signal)));
    },
    restart: async () => {
      await Promise.all(cluster.nodes.map((n) => n.restart()));
    },
    stop: cluster.stop,
  };
}
