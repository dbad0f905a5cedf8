import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type express from 'express';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter } from 'prom-client';
import {
  ConfigError,
  loadConfig,
  type ConfigOf,
  type ConfigSpec,
  type ServiceConfig,
} from '../config/config';
import { createDatabase, type Database } from '../db/database';
import { migrateDatabase } from '../db/migrate';
import { createLogger, type Logger } from '../http/logger';
import { createMetrics, type Metrics } from '../http/metrics';
import type { HealthOptions } from '../http/health';
import { EventConsumer, type ConsumerDefinition } from '../messaging/consumer';
import { connectNats, ensureStream } from '../messaging/nats';
import { OutboxRelay } from '../messaging/relay';

/** What a service's `buildApp` receives. */
export interface AppDeps<C = ServiceConfig> {
  config: C;
  db: Database;
  logger: Logger;
  metrics?: Metrics;
  health?: HealthOptions;
}

/** Something started alongside the service and stopped before NATS and the pool close. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** A service: its name, config, migrations, app and consumers. `main.ts` passes one to `runService`. */
export interface ServiceDefinition<S extends ConfigSpec> {
  name: string;
  /** The full spec; spread `serviceConfigSpec` into it. */
  configSpec: S;
  /** The service's own migrations (common's run first). */
  migrationsFolder?: string;
  buildApp(deps: AppDeps<ConfigOf<S>>): express.Express;
  /**
   * The consumers, or a function of the started service's deps returning them (for consumers that
   * need something made from the config, e.g. a client the app shares; called once per start,
   * after `buildApp`, with the same deps).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  consumers?: ConsumerDefinition<any>[] | ((deps: AppDeps<ConfigOf<S>>) => ConsumerDefinition<any>[]);
  /** Handlers of one consumer instance running at once. */
  consumerConcurrency?: number;
  /** Extra background work (started after the consumers, stopped before them). */
  background?: (deps: AppDeps<ConfigOf<S>>) => Promise<Stoppable>;
}

/** A started service. */
export interface RunningService {
  name: string;
  port: number;
  url: string;
  logger: Logger;
  db: Database;
  nc: NatsConnection;
  relay: OutboxRelay;
  consumers: EventConsumer[];
  /** How long `runService` lets `stop` take before it exits anyway (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  /** Graceful shutdown in the fixed order; resolves when everything is closed. */
  stop(): Promise<void>;
}

/**
 * Starts a service: config → logger → database (migrated) → NATS (stream) → app → relay →
 * consumers → listen. Throws `ConfigError` on bad config. Tests call this with an env object;
 * `main.ts` calls `runService`, which adds signals and exit codes.
 */
export async function startService<S extends ConfigSpec>(
  def: ServiceDefinition<S>,
  options: { env?: Record<string, string | undefined>; logger?: Logger } = {},
): Promise<RunningService> {
  const config = loadConfig(def.configSpec, options.env ?? process.env) as ConfigOf<S> & ServiceConfig;
  const logger = options.logger ?? createLogger({ service: def.name, level: config.LOG_LEVEL });
  const closers: { name: string; close: () => Promise<unknown> }[] = [];
  let shuttingDown = false;

  try {
    const database = createDatabase(config.DATABASE_URL, {
      applicationName: def.name,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      onError: (err) => logger.warn({ err }, 'idle database client error'),
    });
    closers.unshift({ name: 'database pool', close: () => database.close() });
    await migrateDatabase(database.pool, database.db, def.migrationsFolder);

    const nc = await connectNats({
      servers: config.NATS_URL,
      name: config.NATS_CLIENT_NAME ?? `${def.name}-${os.hostname()}-${process.pid}`,
      logger,
    });
    closers.unshift({ name: 'nats', close: () => nc.drain() });
    const jsm = await ensureStream(nc, { replicas: config.NATS_STREAM_REPLICAS });

    const metrics = createMetrics(def.name);
    const published = new Counter({
      name: 'outbox_events_published_total',
      help: 'Events the relay published to JetStream',
      registers: [metrics.registry],
    });
    const publishFailures = new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Failed publish attempts (retried)',
      registers: [metrics.registry],
    });
    const consumed = new Counter({
      name: 'events_consumed_total',
      help: 'Events by consumer and outcome',
      labelNames: ['consumer', 'outcome'],
      registers: [metrics.registry],
    });

    const health: HealthOptions = {
      isShuttingDown: () => shuttingDown,
      checks: {
        db: async () => {
          await database.pool.query('select 1');
        },
        nats: async () => {
          if (nc.isClosed()) throw new Error('closed');
          await nc.flush();
        },
      },
    };
    const deps: AppDeps<ConfigOf<S>> = { config, db: database.db, logger, metrics, health };
    const app = def.buildApp(deps);

    const relay = new OutboxRelay({
      pool: database.pool,
      js: jetstream(nc),
      logger: logger.child({ component: 'relay' }),
      retentionMs: config.OUTBOX_RETENTION_HOURS * 3600_000,
      onBatch: (r) => {
        published.inc(r.published);
        publishFailures.inc(r.failed);
      },
    });
    await relay.start();
    closers.unshift({ name: 'relay', close: () => relay.stop() });

    const definitions = typeof def.consumers === 'function' ? def.consumers(deps) : (def.consumers ?? []);
    const consumers = definitions.map((definition) => {
      const c = new EventConsumer({
        service: def.name,
        definition,
        nc,
        jsm,
        db: database.db,
        logger,
        concurrency: def.consumerConcurrency,
      });
      for (const outcome of ['handled', 'duplicate', 'retry', 'deferred', 'dead-lettered'] as const) {
        c.events.on(outcome, () => consumed.inc({ consumer: c.inboxName, outcome }));
      }
      return c;
    });
    for (const c of consumers) await c.start();
    closers.unshift({ name: 'consumers', close: () => Promise.all(consumers.map((c) => c.stop())) });

    if (def.background) {
      const bg = await def.background(deps);
      closers.unshift({ name: 'background', close: () => bg.stop() });
    }

    const server = http.createServer(app);
    // Keep-alive sockets must not hold shutdown open.
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, () => resolve());
    });
    closers.unshift({
      name: 'http server',
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    });
    const port = (server.address() as AddressInfo).port;
    logger.info({ port }, 'service started');

    let stopping: Promise<void> | undefined;
    return {
      name: def.name,
      port,
      url: `http://127.0.0.1:${port}`,
      logger,
      db: database.db,
      nc,
      relay,
      consumers,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      stop() {
        stopping ??= (async () => {
          shuttingDown = true;
          for (const c of closers) {
            try {
              await c.close();
            } catch (err) {
              logger.warn({ err, resource: c.name }, 'error while closing');
            }
          }
          logger.info('service stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    for (const c of closers) await c.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The composition root's one call: starts the service and owns the process. SIGTERM/SIGINT start a
 * graceful shutdown (exit 0); a second signal, the deadline, or a fatal error exit 1. A bad config
 * prints one line naming the variable and exits 1.
 */
export function runService<S extends ConfigSpec>(def: ServiceDefinition<S>): void {
  let running: RunningService | undefined;
  let exiting = false;

  const shutdown = (reason: string, code: number) => {
    if (exiting) {
      process.stderr.write(`${def.name}: second signal, exiting now\n`);
      process.exit(1);
    }
    exiting = true;
    // The validated config's value once started; before that there is little to wait for.
    const timeoutMs = running?.shutdownTimeoutMs ?? 10_000;
    const timer = setTimeout(() => {
      process.stderr.write(`${def.name}: shutdown took longer than ${timeoutMs} ms, exiting\n`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    running?.logger.info({ reason }, 'shutting down');
    void (running?.stop() ?? Promise.resolve()).then(() => process.exit(code));
  };

  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  process.on('unhandledRejection', (err) => {
    (running?.logger ?? console).error({ err }, 'unhandled rejection');
    shutdown('unhandledRejection', 1);
  });
  process.on('uncaughtException', (err) => {
    (running?.logger ?? console).error({ err }, 'uncaught exception');
    shutdown('uncaughtException', 1);
  });

  startService(def).then(
    (service) => {
      running = service;
      if (exiting) void service.stop().then(() => process.exit(0));
    },
    (err: unknown) => {
      if (err instanceof ConfigError) {
        process.stderr.write(`${def.name}: ${err.message}\n`);
      } else {
        process.stderr.write(
          `${def.name}: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`,
        );
      }
      process.exit(1);
    },
  );
}
