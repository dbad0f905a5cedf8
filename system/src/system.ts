/**
 * The whole system on one machine: PostgreSQL (embedded, one database per service), nats-server,
 * the five services and the client as child processes, and the gateway in front of them.
 * `npm start` and the system tests both boot it through `startSystem`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { serviceNames as catalogServiceNames, type ServiceName } from '@ticketing/common';
import { loadConfig, streamConfigSpec, streamSettingsFrom } from '@ticketing/common';
import { ensureDatabase, freePort, lineSplitter } from '@ticketing/common/local';
import { createTracerProvider, type Tracing } from '@ticketing/common/telemetry';
import { gatewaySettingsFromEnv, startGateway, type Gateway } from './gateway';
import { stdoutSink, type LogSink } from './log';
import { startNats, type NatsHandle } from './nats';
import { startPostgres, type PostgresHandle } from './postgres';
import { loadReadinessPath, loadRoutes, repoRoot } from './routes';
import { readOrCreateSecret } from './secret-file';

/** The services, in the catalog's order (common's serviceCatalog). */
export const SERVICE_NAMES: readonly ServiceName[] = catalogServiceNames;
export type { ServiceName };

export interface SystemOptions {
  /** Where .data lives: postgres/, nats/, jwt-key. Default `<repo>/.data`. Ignored when `ephemeral`. */
  dataDir?: string;
  /** A fresh temp data dir, removed by stop() (tests). */
  ephemeral?: boolean;
  /** Gateway port; 0 = any free port. Default 3000. */
  gatewayPort?: number;
  /** Gateway bind address. Default 127.0.0.1 (this machine only). */
  gatewayHost?: string;
  /** Preferred port of the embedded PostgreSQL (any free port when taken). Default: any free port. */
  postgresPort?: number;
  /** Preferred nats-server port (any free port when taken). Default: any free port. */
  natsPort?: number;
  /**
   * Nodes of a local NATS cluster (`npm start -- --nats-cluster 3`): each on its own loopback
   * address (127.0.0.2, ...) and store (`<dataDir>/nats-cluster/n1`, ...), the event stream on as
   * many replicas unless NATS_STREAM_REPLICAS says otherwise; `nats.cluster` gives its nodes.
   * Default: one nats-server.
   */
  natsCluster?: number;
  /**
   * The environment read for DATABASE_URL, DATABASE_URL_<SERVICE>, NATS_URL, JWT_KEY and passed
   * through to every child (e.g. EXPIRATION_WINDOW_SECONDS, SCRYPT_N, LOG_LEVEL,
   * STRIPE_SECRET_KEY). Default process.env.
   */
  env?: NodeJS.ProcessEnv;
  /** Extra variables for one service's process only. */
  serviceEnv?: Partial<Record<ServiceName | 'client', Record<string, string>>>;
  /** Which services to start. Default all five. */
  services?: readonly ServiceName[];
  /** Start the client when it is built (client/.next). Default true. */
  client?: boolean;
  /**
   * Where every log line goes (children's lines are prefixed `[name] `). Default stdout, where the
   * services write their lines themselves (their logger adds the prefix, LOG_LINE_PREFIX); given a
   * sink, every line of every child passes through it.
   */
  log?: LogSink;
  /** false: PostgreSQL with fsync off. Default: true unless ephemeral. */
  durablePostgres?: boolean;
  /** How long to wait for every /readyz. Default 90 s. */
  readyTimeoutMs?: number;
  /**
   * Processes of every service, each with its own relay and consumers, sharing the service's
   * database and durable consumers; the gateway balances over the ready ones. Default 1. The client
   * stays one process (it keeps no state, and a second Next.js server costs more than it proves).
   */
  replicas?: number;
}

/** A child process the system runs (a service, one replica of it, or the client). */
export interface ProcessHandle {
  /** `orders`, or `orders-2` for the second of several replicas. */
  name: string;
  port: number;
  /** The current process id (changes on restart). */
  readonly pid: number;
  readonly running: boolean;
  /** Sends the signal (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the process stays, frozen (its connections open, nothing answered) until `resume`. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Resolves once it answers ready (its /readyz, the client's /healthz) again. */
  ready(timeoutMs?: number): Promise<void>;
  /** Starts it again (same port and environment) and waits until it is ready; stops it first if it runs. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL after the deadline; resolves when it has exited. */
  stop(): Promise<void>;
}

export interface RunningSystem {
  gatewayUrl: string;
  gateway: Gateway;
  dataDir: string;
  jwtKey: string;
  /** The first (with one replica: the only) process of each service. */
  services: Record<ServiceName, ProcessHandle>;
  /** Every replica of each service (`replicas` of SystemOptions), the first being `services[name]`. */
  replicas: Record<ServiceName, ProcessHandle[]>;
  client?: ProcessHandle;
  nats: NatsHandle;
  /** The embedded PostgreSQL (undefined when every database came from DATABASE_URL*). */
  postgres?: PostgresHandle;
  /** URL of a service's database (`postgresUrl('orders')`), or of any database on the embedded server. */
  postgresUrl(database: string): string;
  /** Stops everything: gateway, children (SIGTERM), then NATS and PostgreSQL. */
  stop(): Promise<void>;
}

const STOP_DEADLINE_MS = 20_000;
/** How often the local gateway probes each replica's readiness, and how long a probe may take. */
const HEALTH_CHECK_INTERVAL_MS = 500;
const HEALTH_CHECK_TIMEOUT_MS = 1_000;

/** Spawns `command args`, prefixes its output, and offers kill/restart. Resolves once `readyPath` answers 200. */
async function startChild(spec: {
  name: string;
  port: number;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  readyPath: string;
  readyTimeoutMs: number;
  log: LogSink;
  /**
   * Its stdout goes straight to ours rather than line by line through `log` (its stderr still
   * does). Under load the relay made this process, which also runs the gateway, wake up, split,
   * prefix and rewrite every line every service wrote.
   */
  stdoutDirect?: boolean;
  live: Set<ChildProcess>;
}): Promise<ProcessHandle> {
  let child: ChildProcess;
  let exited: Promise<void>;
  let expectedExit = false;
  const { name, log } = spec;

  const spawnIt = async () => {
    expectedExit = false;
    const proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', spec.stdoutDirect ? 'inherit' : 'pipe', 'pipe'],
    });
    child = proc;
    spec.live.add(proc);
    // The last lines it wrote, for the error when it fails to start (about 6 kB, joined only then).
    const recent: string[] = [];
    let recentChars = 0;
    const prefix = `[${name}] `;
    const onLine = (line: string) => {
      recent.push(line);
      recentChars += line.length + 1;
      while (recentChars > 6000 && recent.length > 1) recentChars -= recent.shift()!.length + 1;
      log(prefix + line);
    };
    proc.stdout?.pipe(lineSplitter(onLine));
    proc.stderr?.pipe(lineSplitter(onLine));
    exited = new Promise<void>((resolve) =>
      proc.once('exit', (code, signal) => {
        spec.live.delete(proc);
        if (!expectedExit)
          log(`[system] ${name} (pid ${proc.pid}) exited unexpectedly (${signal ?? `code ${code}`})`);
        resolve();
      }),
    );
    lastOutput = () =>
      (recent.length > 0 ? `${recent.join('\n')}\n`.slice(-6000) : '') +
      (spec.stdoutDirect ? `(its log lines, written straight to stdout, are above)\n` : '');
    try {
      await waitReady(spec.readyTimeoutMs);
    } catch (err) {
      if (proc.exitCode === null && proc.signalCode === null) {
        expectedExit = true;
        proc.kill('SIGKILL');
      }
      throw err;
    }
  };

  let lastOutput = () => '';
  const waitReady = async (timeoutMs: number) => {
    const proc = child;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(
          `${name} exited before it was ready (${proc.signalCode ?? `code ${proc.exitCode}`}). Last output:\n${lastOutput()}`,
        );
      }
      if ((await httpStatus(`http://127.0.0.1:${spec.port}${spec.readyPath}`)) === 200) return;
      if (Date.now() > deadline) {
        throw new Error(
          `${name} was not ready within ${timeoutMs} ms (GET ${spec.readyPath}). Last output:\n${lastOutput()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  };

  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!isRunning()) return;
    expectedExit = true;
    child.kill(signal);
    await exited;
  };
  const stop = async () => {
    if (!isRunning()) return;
    expectedExit = true;
    child.kill('SIGTERM');
    const proc = child;
    const timer = setTimeout(() => {
      log(`[system] ${name} did not stop within ${STOP_DEADLINE_MS} ms: SIGKILL`);
      proc.kill('SIGKILL');
    }, STOP_DEADLINE_MS);
    await exited;
    clearTimeout(timer);
  };

  await spawnIt();
  return {
    name,
    port: spec.port,
    get pid() {
      return child.pid ?? -1;
    },
    get running() {
      return isRunning();
    },
    kill,
    stop,
    pause: () => {
      if (isRunning()) child.kill('SIGSTOP');
    },
    resume: () => {
      if (isRunning()) child.kill('SIGCONT');
    },
    ready: (timeoutMs = spec.readyTimeoutMs) => waitReady(timeoutMs),
    restart: async () => {
      await stop();
      await spawnIt();
    },
  };
}

/** The status of a GET, or 0 when nothing answered. */
function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ticketing: client not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:.1rem .3rem}</style></head>
<body><h1>Ticketing is running, but the web client is not built</h1>
<p>The API works: try <a href="/api/users/currentuser"><code>/api/users/currentuser</code></a>.</p>
<p>To serve the web client here, build it and start the system again:</p>
<pre><code>npm run build -w @ticketing/client
npm start</code></pre>
<p>(<code>npm start</code> builds every workspace, the client included, before it starts.)</p>
</body></html>
`;

/** The environment handed to every child: the caller's, minus what the system sets per process. */
function baseChildEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (
      k.startsWith('DATABASE_URL') ||
      k === 'PORT' ||
      k === 'NATS_URL' ||
      // Each service gets its own NATS user; none inherits the caller's (or the admin's) password.
      k.startsWith('NATS_USER') ||
      k.startsWith('NATS_PASSWORD') ||
      k === 'JEST_WORKER_ID' ||
      // Set per process when a service writes its own lines (see `log`), never inherited.
      k === 'LOG_LINE_PREFIX' ||
      k === 'NODE_OPTIONS'
    )
      continue;
    out[k] = v;
  }
  if (out.NODE_ENV === 'test') delete out.NODE_ENV;
  return out;
}

/** Boots the whole system and resolves once every process answers ready. */
export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const env = options.env ?? process.env;
  const log = options.log ?? stdoutSink;
  const servicesWriteStdout = options.log === undefined;
  const serviceNames = options.services ?? SERVICE_NAMES;
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  // A cluster is started only when the system runs its own NATS.
  const natsCluster =
    options.natsCluster && options.natsCluster > 1 && !env.NATS_URL ? options.natsCluster : undefined;
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error('replicas must be a whole number >= 1');

  for (const svc of serviceNames) {
    const main = path.join(repoRoot, svc, 'dist', 'main.js');
    if (!fs.existsSync(main))
      throw new Error(`${svc} is not built (${path.relative(repoRoot, main)} is missing): run npm run build`);
  }

  let dataDir: string;
  if (options.ephemeral) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-system-'));
    // PostgreSQL runs as another user when we are root: it must be able to reach its data dir.
    fs.chmodSync(dataDir, 0o755);
  } else {
    dataDir = path.resolve(options.dataDir ?? path.join(repoRoot, '.data'));
    fs.mkdirSync(dataDir, { recursive: true });
  }

  const live = new Set<ChildProcess>();
  // Whatever happens to this process, its children must not outlive it.
  const killAll = () => {
    for (const c of live) c.kill('SIGKILL');
  };
  process.on('exit', killAll);

  let postgres: PostgresHandle | undefined;
  let nats: NatsHandle | undefined;
  let gateway: Gateway | undefined;
  let gatewayTracing: Tracing | undefined;
  const started: ProcessHandle[] = [];

  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      await gateway?.close();
      await gatewayTracing?.shutdown().catch(() => undefined);
      await Promise.all(started.map((p) => p.stop()));
      await Promise.all([nats?.stop(), postgres?.stop()]);
      process.off('exit', killAll);
      if (options.ephemeral) fs.rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    // Databases: DATABASE_URL_<SERVICE> as given; else DATABASE_URL's server; else the embedded one.
    const dbUrls = new Map<string, string>();
    const needEmbedded =
      !env.DATABASE_URL && serviceNames.some((s) => !env[`DATABASE_URL_${s.toUpperCase()}`]);
    const [pgResult, natsResult] = await Promise.allSettled([
      needEmbedded
        ? startPostgres({
            dataDir: path.join(dataDir, 'postgres'),
            port: options.postgresPort,
            databases: serviceNames.filter((s) => !env[`DATABASE_URL_${s.toUpperCase()}`]),
            log,
            durable: options.durablePostgres ?? !options.ephemeral,
            env,
          })
        : Promise.resolve(undefined),
      startNats({
        url: env.NATS_URL || undefined,
        storeDir: path.join(dataDir, natsCluster ? 'nats-cluster' : 'nats'),
        port: options.natsPort,
        clusterSize: natsCluster,
        log,
        env,
      }),
    ]);
    if (pgResult.status === 'fulfilled') postgres = pgResult.value;
    if (natsResult.status === 'fulfilled') nats = natsResult.value;
    if (pgResult.status === 'rejected') throw pgResult.reason;
    if (natsResult.status === 'rejected') throw natsResult.reason;
    // The admin step, before any service: services may read the stream but not create or change it.
    const streamEnv = natsCluster ? { NATS_STREAM_REPLICAS: String(natsCluster), ...env } : env;
    await nats!.setupStream(streamSettingsFrom(loadConfig(streamConfigSpec, streamEnv)));
    for (const svc of serviceNames) {
      const own = env[`DATABASE_URL_${svc.toUpperCase()}`];
      if (own) dbUrls.set(svc, own);
      else if (env.DATABASE_URL) {
        await ensureDatabase(env.DATABASE_URL, svc);
        dbUrls.set(svc, withDatabase(env.DATABASE_URL, svc));
      } else dbUrls.set(svc, postgres!.url(svc));
    }

    const jwtKey = env.JWT_KEY || readOrCreateSecret(path.join(dataDir, 'jwt-key'), 32);
    const gatewayPort = options.gatewayPort ?? 3000;
    const resolvedGatewayPort = gatewayPort === 0 ? await freePort() : gatewayPort;
    const gatewayUrl = `http://127.0.0.1:${resolvedGatewayPort}`;
    const childEnv = baseChildEnv(env);
    // Spans: to OTEL_EXPORTER_OTLP_ENDPOINT when set, else OTLP/JSON files in <data>/traces (npm run trace).
    childEnv.TRACES_DIR = env.TRACES_DIR || path.join(dataDir, 'traces');
    if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() !== 'true') {
      gatewayTracing = createTracerProvider({ service: 'gateway', env: childEnv });
    }

    // One process per replica: `orders`, or `orders-1`, `orders-2`, ... with several.
    const processes = serviceNames.flatMap((svc) =>
      Array.from({ length: replicas }, (_, i) => ({
        svc,
        name: replicas === 1 ? svc : `${svc}-${i + 1}`,
      })),
    );
    const servicePorts = new Map<string, number>();
    for (const { name } of processes) servicePorts.set(name, await freePort());
    const gatewaySettings = gatewaySettingsFromEnv(env);
    const healthCheckIntervalMs = gatewaySettings.healthCheckIntervalMs ?? HEALTH_CHECK_INTERVAL_MS;
    const healthCheckTimeoutMs = gatewaySettings.healthCheckTimeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
    // A stopping replica stays unready but serving until the gateway's probes have seen it (what
    // the preStop sleep does in Kubernetes); one replica alone has nobody to hand its requests to.
    const drainEnv: Record<string, string> =
      replicas > 1 && !childEnv.SHUTDOWN_DRAIN_MS
        ? { SHUTDOWN_DRAIN_MS: String(healthCheckIntervalMs + healthCheckTimeoutMs + 1_000) }
        : {};
    const clientDir = path.join(repoRoot, 'client');
    const clientBuilt = options.client !== false && fs.existsSync(path.join(clientDir, '.next', 'BUILD_ID'));
    if (options.client !== false && !clientBuilt) {
      log(
        '[system] the client is not built (client/.next is missing): the gateway serves a placeholder page; run `npm run build -w @ticketing/client` to build it',
      );
    }
    const clientPort = clientBuilt ? await freePort() : 0;

    const starting: Promise<ProcessHandle>[] = processes.map(({ svc, name }) =>
      startChild({
        name,
        port: servicePorts.get(name)!,
        command: process.execPath,
        args: [path.join(repoRoot, svc, 'dist', 'main.js')],
        cwd: path.join(repoRoot, svc),
        env: {
          ...childEnv,
          ...drainEnv,
          PORT: String(servicePorts.get(name)),
          DATABASE_URL: dbUrls.get(svc),
          NATS_URL: nats!.url,
          ...nats!.credentialsEnv(svc),
          NATS_CLIENT_NAME: childEnv.NATS_CLIENT_NAME ? `${childEnv.NATS_CLIENT_NAME}-${name}` : name,
          JWT_KEY: jwtKey,
          ...(servicesWriteStdout ? { LOG_LINE_PREFIX: `[${name}] ` } : {}),
          ...(options.serviceEnv?.[svc] ?? {}),
        },
        readyPath: '/readyz',
        readyTimeoutMs,
        log,
        stdoutDirect: servicesWriteStdout,
        live,
      }),
    );
    if (clientBuilt) {
      const nextBin = require.resolve('next/dist/bin/next', { paths: [clientDir] });
      starting.push(
        startChild({
          name: 'client',
          port: clientPort,
          command: process.execPath,
          args: [nextBin, 'start', '-p', String(clientPort), '-H', '127.0.0.1'],
          cwd: clientDir,
          env: {
            ...childEnv,
            NODE_ENV: 'production',
            NEXT_TELEMETRY_DISABLED: '1',
            PORT: String(clientPort),
            API_BASE_URL: gatewayUrl,
            ...(options.serviceEnv?.client ?? {}),
          },
          readyPath: '/healthz',
          readyTimeoutMs,
          log,
          live,
        }),
      );
    }
    const results = await Promise.allSettled(starting);
    for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    const byName = new Map(started.map((p) => [p.name, p]));
    const replicaHandles = Object.fromEntries(
      serviceNames.map((svc) => [
        svc,
        processes.filter((p) => p.svc === svc).map((p) => byName.get(p.name)!),
      ]),
    ) as Record<ServiceName, ProcessHandle[]>;
    gateway = await startGateway({
      ...gatewaySettings,
      healthCheckIntervalMs,
      healthCheckTimeoutMs,
      routes: loadRoutes(),
      readinessPath: loadReadinessPath(),
      port: resolvedGatewayPort,
      host: options.gatewayHost,
      // Every replica, running or not, as a Service's endpoints: the health checks decide.
      upstream: (service) => {
        const handles =
          replicaHandles[service as ServiceName] ?? (service === 'client' ? [byName.get('client')] : []);
        return handles.filter((p) => p !== undefined).map((p) => ({ host: '127.0.0.1', port: p.port }));
      },
      fallback: (service, req, res) => {
        if (service !== 'client') return false;
        res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : PLACEHOLDER);
        return true;
      },
      onError: ({ service, url, upstream, error }) =>
        log(
          `[gateway] ${service} unavailable for ${url}${upstream ? ` at ${upstream.host}:${upstream.port}` : ''}: ${error.message}`,
        ),
      onRetry: ({ service, url, upstream, error }) =>
        log(
          `[gateway] ${service} at ${upstream.host}:${upstream.port} could not be connected to for ${url} (${error.message}): sent to another replica`,
        ),
      tracer: gatewayTracing?.provider.getTracer('@ticketing/system/gateway'),
    });
    log(`[system] ready: ${gatewayUrl} (gateway) · data in ${dataDir}`);

    return {
      gatewayUrl,
      gateway,
      dataDir,
      jwtKey,
      services: Object.fromEntries(serviceNames.map((s) => [s, replicaHandles[s][0]!])) as Record<
        ServiceName,
        ProcessHandle
      >,
      replicas: replicaHandles,
      client: byName.get('client'),
      nats: nats!,
      postgres,
      postgresUrl: (database) =>
        dbUrls.get(database) ??
        (postgres ? postgres.url(database) : withDatabase(env.DATABASE_URL!, database)),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}
