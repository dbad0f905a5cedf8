/**
 * NATS for the local system: `NATS_URL` when given, otherwise a nats-server with JetStream whose
 * store lives under `.data/nats` (kept across restarts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { lineSplitter, type LogSink } from './log';

export interface NatsHandle {
  url: string;
  /** False when NATS_URL pointed at a server we do not own (kill/restart then throw). */
  owned: boolean;
  pid(): number | undefined;
  /** Kills the server (default SIGKILL: a crash) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Graceful stop. */
  stop(): Promise<void>;
}

/** Thrown when no nats-server binary can be found; its message is the one line to print. */
export class NatsServerNotFoundError extends Error {
  constructor() {
    super(
      'nats-server not found: install it (Debian/Ubuntu: apt-get install nats-server; or https://github.com/nats-io/nats-server/releases) or set NATS_URL to a running server with JetStream',
    );
    this.name = 'NatsServerNotFoundError';
  }
}

/** nats-server from NATS_SERVER_BIN, PATH, /usr/sbin or /usr/local/bin. */
export function findNatsServer(
  env: NodeJS.ProcessEnv = process.env,
  extraDirs = ['/usr/sbin', '/usr/local/bin'],
): string | undefined {
  const candidates = [
    env.NATS_SERVER_BIN,
    ...(env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((d) => path.join(d, 'nats-server')),
    ...extraDirs.map((d) => path.join(d, 'nats-server')),
  ];
  return candidates.find((c): c is string => !!c && fs.existsSync(c));
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Uses `url` when given; otherwise starts nats-server on `port` with its store in `storeDir`. */
export async function startNats(options: {
  url?: string;
  storeDir: string;
  port: number;
  log: LogSink;
  env?: NodeJS.ProcessEnv;
  /** Where to look besides PATH (default /usr/sbin, /usr/local/bin). */
  searchDirs?: string[];
}): Promise<NatsHandle> {
  if (options.url) {
    const notOwned = () => Promise.reject(new Error('NATS_URL points at a server this system does not own'));
    return {
      url: options.url,
      owned: false,
      pid: () => undefined,
      kill: notOwned,
      restart: notOwned,
      stop: async () => undefined,
    };
  }
  const bin = findNatsServer(options.env, options.searchDirs);
  if (!bin) throw new NatsServerNotFoundError();
  fs.mkdirSync(options.storeDir, { recursive: true });
  const { port, log } = options;
  const verbose = (options.env ?? process.env).LOG_LEVEL === 'debug';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function launch(): Promise<void> {
    const proc = spawn(bin!, ['-js', '-sd', options.storeDir, '-a', '127.0.0.1', '-p', String(port)], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    let recent = '';
    const onLine = (line: string) => {
      recent = `${recent}${line}\n`.slice(-4000);
      // The start-up banner is two dozen [INF] lines: show warnings, errors and the ready line.
      if (verbose || !line.includes('[INF]') || /Server is ready|Listening for client/.test(line))
        log(`[nats] ${line}`);
    };
    proc.stdout?.pipe(lineSplitter(onLine));
    proc.stderr?.pipe(lineSplitter(onLine));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`nats-server exited (${proc.exitCode ?? proc.signalCode}): ${recent}`);
      if (recent.includes('Server is ready') && (await canConnect(port))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`nats-server did not start within 20 s: ${recent}`);
  }

  async function signal(sig: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(sig);
    const timer = sig === 'SIGKILL' ? undefined : setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    if (timer) clearTimeout(timer);
  }

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    owned: true,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    kill: (sig = 'SIGKILL') => signal(sig),
    restart: async () => {
      await signal('SIGTERM');
      await launch();
    },
    stop: () => signal('SIGTERM'),
  };
}
