/**
 * `npm start [-- --replicas N] [--nats-cluster N]`: the whole system on one machine (after `npm run
 * build`). Ctrl-C stops it cleanly and leaves no process behind; data stays in .data/ for the next
 * start. `--replicas N` runs N processes of every service behind the balancing gateway (default 1);
 * `--nats-cluster N` runs N nats-servers as a JetStream cluster instead of one (the production
 * shape: `--replicas 2 --nats-cluster 3`).
 *
 * Environment: PORT (gateway, default 3000), HOST (gateway bind address, default 127.0.0.1;
 * 0.0.0.0 exposes it), the gateway's GATEWAY_UPSTREAM_TIMEOUT_MS, GATEWAY_HEADERS_TIMEOUT_MS,
 * GATEWAY_REQUEST_TIMEOUT_MS and TRUST_PROXY (see gateway.ts),
 * DATABASE_URL (a PostgreSQL server to use instead of the embedded one; one database per service is
 * created on it), DATABASE_URL_<SERVICE> (one service's database), NATS_URL (instead of a local
 * nats-server), JWT_KEY (default: generated once into .data/jwt-key), DATA_DIR (default .data), and
 * anything the services read (EXPIRATION_WINDOW_SECONDS, SCRYPT_N, LOG_LEVEL, STRIPE_SECRET_KEY, ...).
 */
import { NatsServerNotFoundError } from './nats';
import { startSystem, type RunningSystem, type SystemOptions } from './system';

const USAGE = 'usage: npm start [-- --replicas N] [--nats-cluster 3]';

/** The command line's part of the system's shape. */
function parseStartArgs(argv: string[]): Pick<SystemOptions, 'replicas' | 'natsCluster'> {
  const out: Pick<SystemOptions, 'replicas' | 'natsCluster'> = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--replicas') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error(`--replicas must be a whole number >= 1\n${USAGE}`);
      out.replicas = n;
    } else if (flag === '--nats-cluster') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 9)
        throw new Error(`--nats-cluster takes a number of nodes from 1 to 9\n${USAGE}`);
      out.natsCluster = n;
    } else throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
  }
  return out;
}

async function main(): Promise<void> {
  let shape: Pick<SystemOptions, 'replicas' | 'natsCluster'>;
  try {
    shape = parseStartArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
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
      ...shape,
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
