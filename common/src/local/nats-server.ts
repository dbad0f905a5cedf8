import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPortFree } from './ports';
import { spawnServer, type ServerProcess } from './server-process';

/** Options of `startLocalNatsServer`. */
export interface LocalNatsServerOptions {
  /** JetStream store directory, kept on stop. Default: a temp dir removed on stop. */
  storeDir?: string;
  /** Preferred port: used when free on 127.0.0.1, otherwise the server picks a free one. Default: a free one. */
  port?: number;
  /** Configuration text (e.g. `natsAuthorization(...)`) given to the server as its config file. */
  config?: string;
  /** Receives every line the server writes. */
  log?: (line: string) => void;
  /** Run it in its own process group, so a terminal's Ctrl-C reaches only the caller, which stops it. Default false. */
  detached?: boolean;
  /** Environment read for NATS_SERVER_BIN and PATH. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where to look besides NATS_SERVER_BIN and PATH. Default /usr/sbin, /usr/local/bin. */
  searchDirs?: string[];
  /** What else the user can do when nats-server is missing, added to the error (e.g. "set NATS_URL ..."). */
  alternative?: string;
}

/** A nats-server with JetStream on 127.0.0.1 that this process started. */
export interface LocalNatsServer {
  url: string;
  port: number;
  storeDir: string;
  /** The server's process id, or undefined while it is not running. */
  pid(): number | undefined;
  /** Kills the server (default SIGKILL: a crash), keeping its store, and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it gracefully (SIGTERM) but keeps its store, for outage tests. */
  halt(): Promise<void>;
  /** Starts it again on the same port with the same store (stopping it first if it runs). */
  restart(): Promise<void>;
  /** Stops it (SIGTERM, SIGKILL after 15 s) and removes its temp dirs. */
  stop(): Promise<void>;
}

/** Thrown when no nats-server binary can be found; its message is one line saying how to get one. */
export class NatsServerNotFoundError extends Error {
  constructor(alternative?: string) {
    super(
      'nats-server not found: install it (Debian/Ubuntu: apt-get install nats-server; or https://github.com/nats-io/nats-server/releases)' +
        ` or set NATS_SERVER_BIN to its path${alternative ? `, or ${alternative}` : ''}`,
    );
    this.name = 'NatsServerNotFoundError';
  }
}

/** Finds the nats-server binary: NATS_SERVER_BIN, then PATH, then `extraDirs`. */
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

/**
 * Starts nats-server with JetStream on 127.0.0.1. The port comes from the server itself (`-p -1`
 * and a ports file) unless a free preferred port is given, so parallel starts never collide.
 */
export async function startLocalNatsServer(options: LocalNatsServerOptions = {}): Promise<LocalNatsServer> {
  const env = options.env ?? process.env;
  const bin = findNatsServer(env, options.searchDirs);
  if (!bin) throw new NatsServerNotFoundError(options.alternative);
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-'));
  const storeDir = options.storeDir ?? path.join(tempDir, 'store');
  const portsDir = path.join(tempDir, 'ports');
  fs.mkdirSync(storeDir, { recursive: true });
  fs.mkdirSync(portsDir, { recursive: true });
  const configFile = path.join(tempDir, 'nats.conf');
  // It may hold passwords: readable by this user only.
  if (options.config !== undefined) fs.writeFileSync(configFile, options.config, { mode: 0o600 });
  let port = options.port && (await isPortFree(options.port)) ? options.port : -1;
  let server: ServerProcess | undefined;

  async function launch(): Promise<void> {
    for (const f of fs.readdirSync(portsDir)) fs.rmSync(path.join(portsDir, f));
    const args = [
      ...(options.config !== undefined ? ['-c', configFile] : []),
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-js',
      '-sd',
      storeDir,
      '--ports_file_dir',
      portsDir,
    ];
    const proc = spawnServer(bin!, args, { env, detached: options.detached, onLine: options.log });
    server = proc;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (!proc.running()) throw new Error(`nats-server exited: ${proc.recentOutput()}`);
      const file = fs.readdirSync(portsDir).find((f) => f.endsWith('.ports'));
      // Written once the server accepts clients; it may be seen before its content is (read again).
      const ports = file ? readPortsFile(path.join(portsDir, file)) : undefined;
      if (ports) {
        port = Number(new URL(ports.nats[0]!).port);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await proc.signal('SIGKILL');
    throw new Error(`nats-server did not start within 20 s: ${proc.recentOutput()}`);
  }

  const signal = async (sig: NodeJS.Signals) => server?.signal(sig);
  try {
    await launch();
  } catch (err) {
    fs.rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    pid: () => (server?.running() ? server.child.pid : undefined),
    kill: (sig = 'SIGKILL') => signal(sig),
    halt: () => signal('SIGTERM'),
    async restart() {
      await signal('SIGTERM');
      await launch();
    },
    async stop() {
      await signal('SIGTERM');
      fs.rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

/** The ports file's content, or undefined while it is still being written. */
function readPortsFile(file: string): { nats: string[] } | undefined {
  try {
    const ports = JSON.parse(fs.readFileSync(file, 'utf8')) as { nats?: string[] };
    return ports.nats && ports.nats.length > 0 ? { nats: ports.nats } : undefined;
  } catch {
    return undefined;
  }
}
