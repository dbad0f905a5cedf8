import type { JetStreamManager } from '@nats-io/jetstream';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ConsumerDefinition, EventConsumer } from './consumer';
import { STREAM_NAME } from './nats';
import { NotYetApplicableError } from './versioning';
import type { PublishAttempt } from './relay';

/** Options of `createMessagingMetrics`. */
export interface MessagingMetricsOptions {
  /** The service's registry (`createMetrics(...).registry`). */
  registry: Registry;
  /** The service's database: its outbox is measured. */
  pool: Pool;
  /** JetStream, for the consumers' info; without it (a service off the bus) only the outbox is polled. */
  jsm?: JetStreamManager;
  logger: Logger;
  /** How often the outbox and the consumers' info are read (not on every scrape: any number of scrapers cost the same). */
  pollIntervalMs: number;
  /** Measure the outbox (false for a service that publishes nothing). */
  outbox: boolean;
}

/**
 * The messaging's health as Prometheus metrics. The names are part of the contract
 * (docs/contract.md, infra's alert rules and dashboard): rename one there too.
 */
export const messagingMetricNames = {
  published: 'outbox_events_published_total',
  publishFailures: 'outbox_publish_failures_total',
  publishDuration: 'outbox_publish_duration_seconds',
  backlog: 'outbox_backlog_events',
  oldestAge: 'outbox_oldest_unpublished_age_seconds',
  consumed: 'events_consumed_total',
  handlerDuration: 'event_handler_duration_seconds',
  deadLetters: 'dead_letters_total',
  consumerPending: 'nats_consumer_pending_messages',
  consumerAckPending: 'nats_consumer_ack_pending_messages',
  consumerRedelivered: 'nats_consumer_redelivered_messages',
} as const;

/** The hooks `startService` wires into the relay and the consumers, and the poller's lifecycle. */
export interface MessagingMetrics {
  /** The relay's `onBatch`. */
  onRelayBatch(result: { published: number; failed: number }): void;
  /** The relay's `onPublish`. */
  onPublish(attempt: PublishAttempt): void;
  /** The same consumer, its handler timed into `event_handler_duration_seconds`. */
  timeHandler<D extends ConsumerDefinition>(definition: D, consumer: string): D;
  /** Counts a consumer's outcomes and dead letters, and polls its JetStream consumer info. */
  watch(consumer: EventConsumer): void;
  /** Reads the outbox and the consumers' info once (the poller does this every interval). */
  poll(): Promise<void>;
  /** Starts polling (a first poll at once). */
  start(): void;
  /** Stops polling; waits for a poll in flight. */
  stop(): Promise<void>;
}

/** Creates the messaging metrics on `registry`. */
export function createMessagingMetrics(options: MessagingMetricsOptions): MessagingMetrics {
  const { registry, pool, jsm, logger } = options;
  const registers = [registry];
  const names = messagingMetricNames;

  const published = new Counter({
    name: names.published,
    help: 'Events the relay published to JetStream',
    registers,
  });
  const publishFailures = new Counter({
    name: names.publishFailures,
    help: 'Failed publish attempts (retried)',
    registers,
  });
  const publishDuration = new Histogram({
    name: names.publishDuration,
    help: "The relay's publish of one event, from the call to JetStream's ack, by subject and outcome (ok, error)",
    labelNames: ['subject', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const backlog = options.outbox
    ? new Gauge({
        name: names.backlog,
        help: 'Unpublished outbox rows that are due or failed a publish (scheduled rows not yet due excluded)',
        registers,
      })
    : undefined;
  const oldestAge = options.outbox
    ? new Gauge({
        name: names.oldestAge,
        help: 'Seconds since the oldest row of the backlog became due (0 when the backlog is empty)',
        registers,
      })
    : undefined;
  const consumed = new Counter({
    name: names.consumed,
    help: 'Events by consumer and outcome',
    labelNames: ['consumer', 'outcome'] as const,
    registers,
  });
  const handlerDuration = new Histogram({
    name: names.handlerDuration,
    help: "A consumer's handler of one event, by consumer and outcome (ok, deferred, error); the inbox insert and commit are not included",
    labelNames: ['consumer', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const deadLetters = new Counter({
    name: names.deadLetters,
    help: 'Events a consumer moved to dead_letters since this process started',
    labelNames: ['consumer'] as const,
    registers,
  });
  const pending = new Gauge({
    name: names.consumerPending,
    help: "Messages in the stream not yet delivered to the consumer (JetStream's num_pending), as last polled",
    labelNames: ['consumer'] as const,
    registers,
  });
  const ackPending = new Gauge({
    name: names.consumerAckPending,
    help: 'Messages delivered and not yet acknowledged (num_ack_pending), as last polled',
    labelNames: ['consumer'] as const,
    registers,
  });
  const redelivered = new Gauge({
    name: names.consumerRedelivered,
    help: 'Unacknowledged messages delivered more than once (num_redelivered), as last polled',
    labelNames: ['consumer'] as const,
    registers,
  });

  const watched: EventConsumer[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  async function pollOutbox(): Promise<void> {
    if (!backlog || !oldestAge) return;
    // A failed row's not_before is pushed back by the retry backoff, so its age counts from
    // occurred_at instead (for a scheduled row that failed, that overstates it: the outbox keeps
    // no first-due time).
    const { rows } = await pool.query<{ backlog: number; oldest: number | null }>(
      `select count(*)::int as backlog,
              extract(epoch from now() - min(case when attempts = 0 then not_before else occurred_at end))::float8 as oldest
         from outbox where published_at is null and (not_before <= now() or attempts > 0)`,
    );
    backlog.set(rows[0]?.backlog ?? 0);
    oldestAge.set(Math.max(0, rows[0]?.oldest ?? 0));
  }

  async function pollConsumers(): Promise<void> {
    if (!jsm) return;
    await Promise.all(
      watched.map(async (c) => {
        const info = await jsm.consumers.info(STREAM_NAME, c.durable);
        pending.set({ consumer: c.inboxName }, info.num_pending);
        ackPending.set({ consumer: c.inboxName }, info.num_ack_pending);
        redelivered.set({ consumer: c.inboxName }, info.num_redelivered);
      }),
    );
  }

  async function poll(): Promise<void> {
    const results = await Promise.allSettled([pollOutbox(), pollConsumers()]);
    for (const r of results) {
      // What cannot be read keeps its last value; the readiness check reports the outage.
      if (r.status === 'rejected') logger.debug({ err: r.reason }, 'messaging metrics poll failed');
    }
  }

  let running = false;
  function tick(): void {
    inFlight = poll().finally(() => {
      inFlight = undefined;
      if (running) {
        timer = setTimeout(tick, options.pollIntervalMs);
        timer.unref();
      }
    });
  }

  return {
    onRelayBatch(result) {
      published.inc(result.published);
      publishFailures.inc(result.failed);
    },
    onPublish(attempt) {
      publishDuration.observe(
        { subject: attempt.subject, outcome: attempt.ok ? 'ok' : 'error' },
        attempt.seconds,
      );
    },
    timeHandler(definition, consumer) {
      return {
        ...definition,
        async handle(tx, event, ctx) {
          const stop = handlerDuration.startTimer({ consumer });
          try {
            await definition.handle(tx, event, ctx);
            stop({ outcome: 'ok' });
          } catch (err) {
            stop({ outcome: err instanceof NotYetApplicableError ? 'deferred' : 'error' });
            throw err;
          }
        },
      };
    },
    watch(c) {
      watched.push(c);
      // Present from the start at 0, so the first dead letter is an increase Prometheus sees.
      deadLetters.inc({ consumer: c.inboxName }, 0);
      c.events.on('dead-lettered', () => deadLetters.inc({ consumer: c.inboxName }));
      for (const outcome of [
        'handled',
        'duplicate',
        'retry',
        'deferred',
        'dead-lettered',
        'misdelivered',
      ] as const) {
        c.events.on(outcome, () => consumed.inc({ consumer: c.inboxName, outcome }));
      }
    },
    poll,
    start() {
      if (running) return;
      running = true;
      tick();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
