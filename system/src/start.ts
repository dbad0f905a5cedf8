/**
 * `npm start`: the whole system on one machine (after `npm run build`). Ctrl-C stops it cleanly
 * and leaves no process behind; data stays in .data/ for the next start.
 *
 * Environment: PORT (gateway, default 3000), HOST (gateway bind address, default 127.0.0.1;
 * 0.0.0.0 exposes it), the gateway's GATEWAY_UPSTREAM_TIMEOUT_MS, GATEWAY_HEADERS_TIMEOUT_MS,
 * GATEWAY_REQUEST_TIMEOUT_MS and TRUST_PROXY (see gateway.ts),
 * DATABASE_URL (a PostgreSQL server to use instead of the embedded one; one database per service is
 * created on it), DATABASE_URL_<SERVICE> (one service's database), NATS_URL (instead of a local
 * nats-server), JWT_KEY (default: generated once into .data/jwt-key), DATA_DIR (default .data), and
 * anything the services read (EXPIRATION_WINDOW_SECONDS, SCRYPT_N, LOG_LEVEL, STRIPE_SECRET_KEY, ...).
 *
 * Flags: `--nats-cluster N` runs N nats-servers as a JetStream cluster (the production shape: 3)
 * instead of one.
 */
import { NatsServerNotFoundError } from './nats';
import { startSystem, type RunningSystem } from './system';

/** The value of `--nats-cluster N` (or `--nats-cluster=N`); undefined when absent. */
function natsClusterFlag(argv: string[]): number | undefined {
  const i = argv.findIndex((a) => a === '--nats-cluster' || a.startsWith('--nats-cluster='));
  if (i < 0) return undefined;
  const raw = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 9) {
    process.stderr.write(`[system] --nats-cluster takes a number of nodes from 1 to 9, got ${String(raw)}\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const natsCluster = natsClusterFlag(process.argv.slice(2));
  let system: RunningSystem | undefined;
  let stopping = false;
  let interrupted = false;

  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write(`[system] ${signal} again: still stopping (children get SIGKILL after 20 s)\n`);
      return;
    }
    stopping = true;
    interrupted = true;
    if (!system) return; // start-up in progress: it stops once it has started
    process.stdout.write(`[system] ${signal}: stopping\n`);
    void system.stop().then(
      () => {
        process.stdout.write('[system] stopped\n');
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`[system] error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));

  try {
    system = await startSystem({
      gatewayPort: process.env.PORT ? Number(process.env.PORT) : 3000,
      gatewayHost: process.env.HOST || undefined,
      dataDir: process.env.DATA_DIR || undefined,
      postgresPort: 54329,
      natsPort: 4222,
      natsCluster,
    });
  } catch (err) {
    if (err instanceof NatsServerNotFoundError) {
      process.stderr.write(`${err.message}\n`);
    } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(
        `[system] port ${process.env.PORT ?? 3000} is in use: stop what uses it or start with PORT=<another port>\n`,
      );
    } else {
      process.stderr.write(`[system] failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.exit(1);
  }
  if (interrupted) {
    stopping = false;
    shutdown('SIGINT');
    return;
  }
  process.stdout.write(
    `[system] open ${system.gatewayUrl.replace('127.0.0.1', 'localhost')} · Ctrl-C stops everything\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `[system] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
