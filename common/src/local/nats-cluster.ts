import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findNatsServer, NatsServerNotFoundError } from './nats-server';
import { freePort } from './ports';
import { spawnServer, type ServerProcess } from './server-process';

/** Options of `startLocalNatsCluster`. */
export interface LocalNatsClusterOptions {
  /** Nodes. Default 3 (JetStream needs a majority: 3 nodes survive the loss of one). */
  size?: number;
  /** Each node's loopback address. Default 127.0.0.2, 127.0.0.3, 127.0.0.4, ... */
  hosts?: string[];
  /** Parent of the nodes' JetStream store directories (`<storeDir>/n1`, ...), kept on stop. Default: a temp dir removed on stop. */
  storeDir?: string;
  /** Configuration text given to every node besides its listen, cluster and JetStream settings (e.g. `natsAuthorization(...)`). */
  config?: string;
  /** The cluster's name. Default `ticketing`. */
  clusterName?: string;
  /**
   * As root: the user id each node runs as (one per node). Network faults between nodes tell
   * their connections apart by it (`meta skuid`): on loopback every connection's source address
   * is 127.0.0.1. Ignored unless running as root.
   */
  uids?: number[];
  /** Receives every line a node writes, with the node's name. */
  log?: (line: string, node: string) => void;
  /** Run each node in its own process group (see `startLocalNatsServer`). Default false. */
  detached?: boolean;
  /** Environment read for NATS_SERVER_BIN and PATH. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where to look besides NATS_SERVER_BIN and PATH. Default /usr/sbin, /usr/local/bin. */
  searchDirs?: string[];
  /** What else the user can do when nats-server is missing, added to the error. */
  alternative?: string;
}

/** One node of a `LocalNatsCluster`. */
export interface LocalNatsNode {
  /** Its JetStream server name (`n1`, `n2`, ...), as stream info names the leader. */
  name: string;
  host: string;
  /** Client port. */
  port: number;
  /** Route port, on `host`. */
  clusterPort: number;
  url: string;
  storeDir: string;
  /** The user id it runs as (root only), else undefined. */
  uid?: number;
  /** Its process id, or undefined while it is not running. */
  pid(): number | undefined;
  /**
   * Sends the signal (default SIGKILL: a crash) and waits for the process to exit; keeps its
   * store. SIGSTOP and SIGCONT are sent without waiting (as `stop` and `cont`).
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the process freezes with its sockets open (a hung node), until `cont`. */
  stop(): void;
  /** SIGCONT after `stop`. */
  cont(): void;
  /** Starts it again on the same address, ports and store (stopping it first, SIGTERM, if it runs). */
  restart(): Promise<void>;
}

/** A JetStream cluster of nats-servers on loopback addresses that this process started. */
export interface LocalNatsCluster {
  /** Every node's client URL, comma-separated (the form NATS_URL takes). */
  url: string;
  urls: string[];
  nodes: LocalNatsNode[];
  /** Stops every node (SIGTERM, SIGKILL after 15 s) and removes the temp dirs. */
  stop(): Promise<void>;
}

/** Loopback addresses other than 127.0.0.1 answer on Linux; macOS needs `ifconfig lo0 alias` first. */
function defaultHosts(size: number): string[] {
  return Array.from({ length: size }, (_, i) => `127.0.0.${i + 2}`);
}

/**
 * Starts a nats-server cluster with JetStream: each node on its own loopback address, store
 * directory and ports, routes to every other node (authenticated by a generated route user), and
 * `config` (the authorization) applied to every node. Resolves once every node accepts clients;
 * JetStream's meta leader is elected shortly after (the admin step retries until it is).
 */
export async function startLocalNatsCluster(
  options: LocalNatsClusterOptions = {},
): Promise<LocalNatsCluster> {
  const env = options.env ?? process.env;
  const bin = findNatsServer(env, options.searchDirs);
  if (!bin) throw new NatsServerNotFoundError(options.alternative);
  const size = options.size ?? 3;
  const hosts = options.hosts ?? defaultHosts(size);
  if (hosts.length !== size) throw new Error(`${size} nodes need ${size} hosts, got ${hosts.length}`);
  const asRoot = process.getuid?.() === 0;
  const uids = asRoot ? options.uids : undefined;
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-cluster-'));
  fs.chmodSync(tempDir, 0o755);
  const storeRoot = options.storeDir ?? path.join(tempDir, 'store');
  const clusterName = options.clusterName ?? 'ticketing';
  // Only the nodes use it: a fresh one each start is enough.
  const routeUser = 'route';
  const routePassword = crypto.randomBytes(24).toString('hex');

  const specs = await Promise.all(
    hosts.map(async (host, i) => ({
      name: `n${i + 1}`,
      host,
      port: await freePort(host),
      clusterPort: await freePort(host),
      storeDir: path.join(storeRoot, `n${i + 1}`),
      dir: path.join(tempDir, `n${i + 1}`),
      uid: uids?.[i],
    })),
  );

  const nodeConfig = (spec: (typeof specs)[number]) => {
    const routes = specs
      .filter((s) => s !== spec)
      .map((s) => JSON.stringify(`nats-route://${routeUser}:${routePassword}@${s.host}:${s.clusterPort}`));
    return [
      `server_name: ${JSON.stringify(spec.name)}`,
      `listen: ${JSON.stringify(`${spec.host}:${spec.port}`)}`,
      `jetstream { store_dir: ${JSON.stringify(spec.storeDir)} }`,
      'cluster {',
      `  name: ${JSON.stringify(clusterName)}`,
      `  listen: ${JSON.stringify(`${spec.host}:${spec.clusterPort}`)}`,
      `  authorization { user: ${JSON.stringify(routeUser)}, password: ${JSON.stringify(routePassword)} }`,
      `  routes: [${routes.join(', ')}]`,
      '}',
      options.config ?? '',
    ].join('\n');
  };

  for (const spec of specs) {
    fs.mkdirSync(spec.storeDir, { recursive: true });
    fs.mkdirSync(spec.dir, { recursive: true });
    // It holds passwords: readable by the node's user only.
    fs.writeFileSync(path.join(spec.dir, 'nats.conf'), nodeConfig(spec), { mode: 0o600 });
    if (spec.uid !== undefined) {
      for (const p of [spec.storeDir, spec.dir, path.join(spec.dir, 'nats.conf')])
        fs.chownSync(p, spec.uid, spec.uid);
    }
  }

  const processes = new Map<string, ServerProcess>();

  async function launch(spec: (typeof specs)[number]): Promise<void> {
    const portsDir = spec.dir;
    for (const f of fs.readdirSync(portsDir)) if (f.endsWith('.ports')) fs.rmSync(path.join(portsDir, f));
    // A store deleted while the node was down (the store-loss runbook) is recreated empty.
    fs.mkdirSync(spec.storeDir, { recursive: true });
    if (spec.uid !== undefined) fs.chownSync(spec.storeDir, spec.uid, spec.uid);
    const proc = spawnServer(bin!, ['-c', path.join(spec.dir, 'nats.conf'), '--ports_file_dir', portsDir], {
      env,
      detached: options.detached,
      runAs: spec.uid !== undefined ? { uid: spec.uid, gid: spec.uid } : undefined,
      onLine: (line) => options.log?.(line, spec.name),
    });
    processes.set(spec.name, proc);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (!proc.running()) throw new Error(`nats-server ${spec.name} exited: ${proc.recentOutput()}`);
      // Written once the server accepts clients.
      if (fs.readdirSync(portsDir).some((f) => f.endsWith('.ports'))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    await proc.signal('SIGKILL');
    throw new Error(`nats-server ${spec.name} did not start within 20 s: ${proc.recentOutput()}`);
  }

  const stopAll = async () => {
    await Promise.all([...processes.values()].map((p) => p.signal('SIGTERM')));
    fs.rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(specs.map((s) => launch(s)));
  } catch (err) {
    await stopAll();
    throw err;
  }

  const nodes: LocalNatsNode[] = specs.map((spec) => {
    const proc = () => processes.get(spec.name);
    const running = () => proc()?.running() ?? false;
    return {
      name: spec.name,
      host: spec.host,
      port: spec.port,
      clusterPort: spec.clusterPort,
      url: `nats://${spec.host}:${spec.port}`,
      storeDir: spec.storeDir,
      uid: spec.uid,
      pid: () => (running() ? proc()!.child.pid : undefined),
      kill: async (signal = 'SIGKILL') => {
        // These do not end it: there is no exit to wait for.
        if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
          if (running()) proc()!.child.kill(signal);
          return;
        }
        // A frozen process cannot act on SIGTERM: let it run so it can.
        if (running() && signal !== 'SIGKILL') proc()!.child.kill('SIGCONT');
        await proc()?.signal(signal);
      },
      stop: () => {
        if (running()) proc()!.child.kill('SIGSTOP');
      },
      cont: () => {
        if (running()) proc()!.child.kill('SIGCONT');
      },
      restart: async () => {
        if (running()) {
          proc()!.child.kill('SIGCONT');
          await proc()!.signal('SIGTERM');
        }
        await launch(spec);
      },
    };
  });
  const urls = nodes.map((n) => n.url);
  return { url: urls.join(','), urls, nodes, stop: stopAll };
}
