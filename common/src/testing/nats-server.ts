import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A nats-server with JetStream that a test started for itself. */
export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  /** Stops the server (SIGTERM) and removes its temp dirs. */
  stop(): Promise<void>;
  /** Kills the server (SIGKILL), keeping its store: a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same store (after kill or halt). */
  restart(): Promise<void>;
  /** Stops it gracefully but keeps its store, for outage tests. */
  halt(): Promise<void>;
}

/** Finds the nats-server binary: NATS_SERVER_BIN, then PATH, then /usr/sbin. */
export function findNatsServer(): string | undefined {
  const candidates = [
    process.env.NATS_SERVER_BIN,
    ...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'nats-server')),
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
  ];
  return candidates.find((c): c is string => !!c && fs.existsSync(c));
}

/**
 * Starts nats-server with JetStream on a free port and a temp store. Ports come from the server
 * itself (`-p -1` and a ports file), so parallel test files never collide.
 */
export async function startNatsServer(options: { storeDir?: string } = {}): Promise<NatsServerHandle> {
  const bin = findNatsServer();
  if (!bin) throw new Error('nats-server not found: install it (apt-get install nats-server) or set NATS_SERVER_BIN');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-test-'));
  const storeDir = options.storeDir ?? path.join(root, 'store');
  const portsDir = path.join(root, 'ports');
  fs.mkdirSync(portsDir, { recursive: true });

  let child: ChildProcess | undefined;
  let port = -1;

  async function launch(): Promise<void> {
    for (const f of fs.readdirSync(portsDir)) fs.rmSync(path.join(portsDir, f));
    const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, '--ports_file_dir', portsDir];
    const proc = spawn(bin!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}: ${stderr}`);
      const file = fs.readdirSync(portsDir).find((f) => f.endsWith('.ports'));
      if (file) {
        const ports = JSON.parse(fs.readFileSync(path.join(portsDir, file), 'utf8')) as { nats: string[] };
        port = Number(new URL(ports.nats[0]).port);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    proc.kill('SIGKILL');
    throw new Error(`nats-server did not start within 10 s: ${stderr}`);
  }

  async function signal(sig: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(sig);
    await exited;
  }

  await launch();
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    async stop() {
      await signal('SIGTERM');
      fs.rmSync(root, { recursive: true, force: true });
    },
    kill: () => signal('SIGKILL'),
    halt: () => signal('SIGTERM'),
    restart: launch,
  };
}
