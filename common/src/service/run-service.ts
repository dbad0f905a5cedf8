import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type express from 'express';
import type { Pool } from 'pg';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
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
import { consumerConcurrencies } from './consumer-concurrency';
import { databasePoolSize } from './pool-size';
import type { Stoppable } from './periodic-job';
import { createMetrics, type Metrics } from '../http/metrics';
import type { HealthOptions } from '../http/health';
import { IdempotencyKeyJanitor } from '../http/idempotency-key-janitor';
import { EventConsumer, consumerNameOf, type ConsumerDefinition } from '../messaging/consumer';
import { InboxJanitor } from '../messaging/inbox-janitor';
import { createMessagingMetrics } from '../messaging/metrics';
import { connectNats, requireStream } from '../messaging/nats';
import { OutboxRelay } from '../messaging/relay';
import { serviceCatalog, type ServiceDeclaration } from '../services/catalog';
import { flushTracing } from '../telemetry/tracing';

/** What the `dependencies` hook of a service receives: the validated config, the database, the logger. */
export interface BaseDeps<C = ServiceConfig> {
  config: C;
  db: Database;
  logger: Logger;
}

/**
 * What every router of a service receives, in the same shape everywhere: the base deps and `deps`,
 * what the service's `dependencies` hook built for this start (undefined without a hook).
 */
export interface RouteContext<C = ServiceConfig, D = undefined> extends BaseDeps<C> {
  deps: D;
}

/** What a service's `buildApp`, consumers function and `background` receive. */
export interface AppDeps<C = ServiceConfig, D = undefined> extends RouteContext<C, D> {
  metrics?: Metrics;
  health?: HealthOptions;
}

/** A service: its name, config, migrations, app and consumers. `main.ts` passes one to `runService`. */
export interface ServiceDefinition<S extends ConfigSpec, D = undefined> {
  /** Its name in `serviceCatalog`. */
  name: string;
  /** The full spec; spread `serviceConfigSpec` into it. */
  configSpec: S;
  /**
   * Rules across variables (e.g. one setting required in production unless another is set),
   * checked right after loading and before anything connects; throws `ConfigError` naming them.
   */
  checkConfig?(config: ConfigOf<S>): void;
  /** The service's own migrations (common's run first). */
  migrationsFolder?: string;
  /**
   * Builds what the app, the consumers and `background` share (e.g. a client of an outside API):
   * once per start, after the database and NATS, before `buildApp`. When the result has a
   * `close()`, it runs on shutdown after HTTP, background, consumers and relay have stopped.
   */
  dependencies?: (base: BaseDeps<ConfigOf<S>>) => Promise<D> | D;
  buildApp(deps: AppDeps<ConfigOf<S>, D>): express.Express;
  /**
   * The consumers, or a function of the started service's deps returning them (called once per
   * start, after `buildApp`, with the same deps). Their subjects must be the catalog's `consumes`.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  consumers?: ConsumerDefinition<any>[] | ((deps: AppDeps<ConfigOf<S>, D>) => ConsumerDefinition<any>[]);
  /**
   * Messages each consumer of one instance handles at once, unless the consumer declares its own
   * `concurrency` (default 1); `CONSUMER_CONCURRENCY` overrides both.
   */
  consumerConcurrency?: number;
  /** Extra background work (started after the consumers, stopped before them). */
  background?: (deps: AppDeps<ConfigOf<S>, D>) => Promise<Stoppable>;
}

/** How `startService` and `runService` may be told to start a service. */
export interface StartOptions {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** The services allowed to start (default `serviceCatalog`); common's own tests declare their demo. */
  catalog?: Readonly<Record<string, ServiceDeclaration>>;
}

/** Thrown by `startService` for a definition the service catalog does not declare as it is. */
export class ServiceDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceDefinitionError';
  }
}

/**
 * Checks a definition against its catalog entry: the name is declared, and its consumers' subjects
 * are exactly the declared `consumes`. Throws one `ServiceDefinitionError` naming every difference.
 */
export function checkAgainstCatalog(
  name: string,
  consumers: readonly { subject: string }[] | undefined,
  catalog: Readonly<Record<string, ServiceDeclaration>> = serviceCatalog,
): void {
  const declared = Object.hasOwn(catalog, name) ? catalog[name] : undefined;
  if (!declared) {
    throw new ServiceDefinitionError(
      `service "${name}" is not in the service catalog (${Object.keys(catalog).join(', ')})`,
    );
  }
  if (!consumers) return;
  const actual = new Set<string>(consumers.map((c) => c.subject));
  const expected = new Set<string>(declared.consumes);
  const undeclared = [...actual].filter((s) => !expected.has(s));
  const missing = [...expected].filter((s) => !actual.has(s));
  if (undeclared.length > 0 || missing.length > 0) {
    const parts = [
      undeclared.length > 0 ? `consumes ${undeclared.join(', ')} not declared in the catalog` : '',
      missing.length > 0 ? `has no consumer for ${missing.join(', ')} the catalog declares` : '',
    ].filter(Boolean);
    throw new ServiceDefinitionError(`service "${name}" ${parts.join(' and ')}`);
  }
}

/** A started service. */
export interface RunningService {
  name: string;
  port: number;
  url: string;
  logger: Logger;
  db: Database;
  /** The most connections its database pool opens (`databasePoolSize`). */
  databasePoolMax: number;
  /** Undefined for a service with nothing on the bus (it does not connect to NATS). */
  nc?: NatsConnection;
  relay?: OutboxRelay;
  consumers: EventConsumer[];
  /** How long `runService` lets `stop` take before it exits anyway (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  /** Graceful shutdown in the fixed order; resolves when everything is closed. */
  stop(): Promise<void>;
}

/**
 * Starts a service: config → logger → database (migrated) → NATS (stream) → dependencies → app →
 * relay → consumers (and their inbox janitor) → idempotency-key janitor → background → listen.
 * Throws `ConfigError` on bad config, `ServiceDefinitionError` for a definition the service
 * catalog does not declare as it is. Tests call this with an env object; `main.ts` calls `runService`, which adds signals and
 * exit codes.
 */
export async function startService<S extends ConfigSpec, D = undefined>(
  def: ServiceDefinition<S, D>,
  options: StartOptions = {},
): Promise<RunningService> {
  const catalog: Readonly<Record<string, ServiceDeclaration>> = options.catalog ?? serviceCatalog;
  // A function's consumers are checked once built, before any of them starts.
  checkAgainstCatalog(def.name, Array.isArray(def.consumers) ? def.consumers : undefined, catalog);
  const config = loadConfig(def.configSpec, options.env ?? process.env) as ConfigOf<S> & ServiceConfig;
  def.checkConfig?.(config);
  // A setting naming no consumer stops the start before anything connects (consumers built from
  // the deps are checked once built). The pool is sized for them; consumers built from the deps
  // are not known yet, so the catalog's subjects stand in for them.
  const declaration = Object.hasOwn(catalog, def.name) ? catalog[def.name] : undefined;
  const knownConsumers = Array.isArray(def.consumers)
    ? def.consumers
    : (declaration?.consumes ?? []).map((subject) => ({ subject }));
  // A service with nothing on the bus (auth) gets no NATS credentials and opens no connection.
  const usesNats =
    !declaration ||
    declaration.publishes.length > 0 ||
    declaration.consumes.length > 0 ||
    def.consumers !== undefined;
  const poolMax = databasePoolSize({
    consumerConcurrencies: knownConcurrencies(
      knownConsumers,
      def.consumerConcurrency,
      config.CONSUMER_CONCURRENCY,
      Array.isArray(def.consumers),
    ),
    relay: usesNats,
    setting: config.DATABASE_POOL_MAX,
  });
  const logger =
    options.logger ??
    createLogger({ service: def.name, level: config.LOG_LEVEL, linePrefix: config.LOG_LINE_PREFIX });
  // The last thing stop() does: the spans of the shutdown itself get out before the process exits.
  const closers: { name: string; close: () => Promise<unknown> }[] = [
    { name: 'tracing', close: () => flushTracing() },
  ];
  let shuttingDown = false;

  try {
    const database = createDatabase(config.DATABASE_URL, {
      max: poolMax,
      applicationName: def.name,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      onError: (err) => logger.warn({ err }, 'idle database client error'),
    });
    closers.unshift({ name: 'database pool', close: () => database.close() });
    await migrateDatabase(database.pool, database.db, def.migrationsFolder);
    await reportPoolBudget(database.pool, poolMax, logger);

    const nc = usesNats
      ? await connectNats({
          servers: config.NATS_URL,
          name: config.NATS_CLIENT_NAME ?? `${def.name}-${os.hostname()}-${process.pid}`,
          user: config.NATS_USER,
          password: config.NATS_PASSWORD,
          caFile: config.NATS_CA_FILE,
          logger,
        })
      : undefined;
    if (nc) closers.unshift({ name: 'nats', close: () => nc.drain() });
    // The admin step creates and sizes the stream; a service may only read it.
    const jsm = nc ? await requireStream(nc) : undefined;

    const base: BaseDeps<ConfigOf<S>> = { config, db: database.db, logger };
    const built = (def.dependencies ? await def.dependencies(base) : undefined) as D;
    const closable = built as { close?: () => unknown } | undefined;
    if (typeof closable?.close === 'function') {
      closers.unshift({ name: 'dependencies', close: async () => closable.close!() });
    }

    const metrics = createMetrics(def.name);
    const messagingMetrics = createMessagingMetrics({
      registry: metrics.registry,
      pool: database.pool,
      jsm,
      logger: logger.child({ component: 'metrics' }),
      pollIntervalMs: config.METRICS_POLL_INTERVAL_MS,
      outbox: nc !== undefined,
    });

    const health: HealthOptions = {
      isShuttingDown: () => shuttingDown,
      checks: {
        db: async () => {
          await database.pool.query('select 1');
        },
        ...(nc
          ? {
              nats: async () => {
                if (nc.isClosed()) throw new Error('closed');
                await nc.flush();
              },
            }
          : {}),
      },
    };
    const deps: AppDeps<ConfigOf<S>, D> = { ...base, deps: built, metrics, health };
    const app = def.buildApp(deps);

    const relay =
      nc &&
      new OutboxRelay({
        pool: database.pool,
        js: jetstream(nc),
        logger: logger.child({ component: 'relay' }),
        retentionMs: config.OUTBOX_RETENTION_HOURS * 3600_000,
        onBatch: (r) => messagingMetrics.onRelayBatch(r),
        onPublish: (a) => messagingMetrics.onPublish(a),
      });
    if (relay) {
      await relay.start();
      closers.unshift({ name: 'relay', close: () => relay.stop() });
    }

    const definitions = typeof def.consumers === 'function' ? def.consumers(deps) : (def.consumers ?? []);
    checkAgainstCatalog(def.name, definitions, catalog);
    const concurrencies = consumerConcurrencies(
      definitions,
      def.consumerConcurrency,
      config.CONSUMER_CONCURRENCY,
    );
    const needed = databasePoolSize({
      consumerConcurrencies: concurrencies.values(),
      relay: usesNats,
      setting: config.DATABASE_POOL_MAX,
    });
    if (needed > poolMax)
      logger.warn({ poolMax, needed }, 'database pool smaller than the consumers built need');
    const consumers = (nc && jsm ? definitions : []).map((definition) => {
      const c = new EventConsumer({
        service: def.name,
        definition: messagingMetrics.timeHandler(definition, consumerNameOf(def.name, definition)),
        nc: nc!,
        jsm: jsm!,
        db: database.db,
        logger,
        concurrency: concurrencies.get(definition.name ?? definition.subject),
      });
      messagingMetrics.watch(c);
      return c;
    });
    for (const c of consumers) await c.start();
    if (consumers.length > 0)
      logger.info({ concurrency: Object.fromEntries(concurrencies) }, 'consumers started');
    closers.unshift({ name: 'consumers', close: () => Promise.all(consumers.map((c) => c.stop())) });
    if (consumers.length > 0) {
      const janitor = new InboxJanitor({
        pool: database.pool,
        logger: logger.child({ component: 'inbox-janitor' }),
        retentionMs: config.INBOX_RETENTION_HOURS * 3600_000,
      });
      janitor.start();
      closers.unshift({ name: 'inbox janitor', close: () => janitor.stop() });
    }

    messagingMetrics.start();
    closers.unshift({ name: 'messaging metrics', close: () => messagingMetrics.stop() });

    // A service whose config has the retention setting takes Idempotency-Keys.
    const keyRetention = (config as { IDEMPOTENCY_KEY_RETENTION_HOURS?: number })
      .IDEMPOTENCY_KEY_RETENTION_HOURS;
    if (keyRetention !== undefined) {
      const keyJanitor = new IdempotencyKeyJanitor({
        pool: database.pool,
        logger: logger.child({ component: 'idempotency-key-janitor' }),
      });
      keyJanitor.start();
      closers.unshift({ name: 'idempotency key janitor', close: () => keyJanitor.stop() });
    }

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
    // The Node version, so a start log shows which runtime a service really runs on.
    logger.info({ port, node: process.version }, 'service started');

    let stopping: Promise<void> | undefined;
    return {
      name: def.name,
      port,
      url: `http://127.0.0.1:${port}`,
      logger,
      db: database.db,
      databasePoolMax: poolMax,
      nc,
      relay,
      consumers,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      stop() {
        stopping ??= (async () => {
          shuttingDown = true;
          // Readiness is off now; keep serving until whoever balances over the replicas has seen it.
          if (config.SHUTDOWN_DRAIN_MS > 0) {
            logger.info({ drainMs: config.SHUTDOWN_DRAIN_MS }, 'draining: not ready, still serving');
            await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_MS));
          }
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
 * The concurrencies the pool is sized for. Consumers built from the deps are not known before the
 * pool opens: the catalog's subjects stand in for them, and a setting naming one by another name is
 * left for the check once they are built.
 */
function knownConcurrencies(
  consumers: readonly { subject: string; name?: string; concurrency?: number }[],
  declaredForService: number | undefined,
  setting: string | undefined,
  exact: boolean,
): Iterable<number> {
  try {
    return consumerConcurrencies(consumers, declaredForService, setting).values();
  } catch (err) {
    if (exact || !(err instanceof ConfigError)) throw err;
    return consumerConcurrencies(consumers, declaredForService, undefined).values();
  }
}

/**
 * Logs the pool's size beside the connections the server accepts, and warns when this one process
 * could take them all: every other replica, service and admin session would then be refused.
 */
async function reportPoolBudget(pool: Pool, poolMax: number, logger: Logger): Promise<void> {
  const { rows } = await pool.query<{ available: number }>(
    `select current_setting('max_connections')::int
            - current_setting('superuser_reserved_connections')::int as available`,
  );
  const available = rows[0]!.available;
  if (poolMax >= available) {
    logger.warn(
      { poolMax, available },
      'database pool may open as many connections as the server accepts: lower DATABASE_POOL_MAX or CONSUMER_CONCURRENCY, or raise max_connections',
    );
  } else {
    logger.info({ poolMax, available }, 'database pool sized');
  }
}

/**
 * The composition root's one call: starts the service and owns the process. SIGTERM/SIGINT start a
 * graceful shutdown (exit 0); a second signal, the deadline, or a fatal error exit 1. A bad config
 * prints one line naming the variable and exits 1.
 */
export function runService<S extends ConfigSpec, D = undefined>(
  def: ServiceDefinition<S, D>,
  options: Pick<StartOptions, 'catalog'> = {},
): void {
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

  startService(def, options).then(
    (service) => {
      running = service;
      if (exiting) void service.stop().then(() => process.exit(0));
    },
    (err: unknown) => {
      if (err instanceof ConfigError || err instanceof ServiceDefinitionError) {
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
