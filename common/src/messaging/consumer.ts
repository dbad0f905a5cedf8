import { EventEmitter } from 'node:events';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { nanos } from '@nats-io/nats-core';
import { SpanKind, SpanStatusCode, context, trace, type Link } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, type Database, type Tx } from '../db/database';
import { deadLetters, inbox } from '../db/schema';
import { contractFor, type EventData, type Subject } from '../events/catalog';
import { validateEnvelope, type EventEnvelope } from '../events/contract';
import { contextFromTraceparent, spanContextFromTraceparent } from '../telemetry/context';
import { STREAM_NAME, isNotFound } from './nats';
import { PullWatchdog } from './pull-watchdog';
import { TRACE_LINK_HEADER } from './relay';
import { NotYetApplicableError } from './versioning';

/** What a handler gets besides the transaction and the event. */
export interface HandlerContext {
  logger: Logger;
  /** 1 on first delivery. */
  deliveryCount: number;
}

/** A consumer of one subject: its handler runs in the transaction that records the event in the inbox. */
export interface ConsumerDefinition<S extends Subject = Subject> {
  subject: S;
  /** Names the consumer in logs and in the inbox; defaults to the subject. */
  name?: string;
  /**
   * Messages this consumer handles at once in one instance, unless the service's
   * `CONSUMER_CONCURRENCY` says otherwise (default: the service's `consumerConcurrency`, else 1).
   */
  concurrency?: number;
  handle(tx: Tx, event: EventEnvelope<S, EventData<S>>, ctx: HandlerContext): Promise<void>;
}

/** Declares a consumer of `subject` (the handler's event type follows from the subject). */
export function defineConsumer<S extends Subject>(
  subject: S,
  handle: ConsumerDefinition<S>['handle'],
  options: { name?: string; concurrency?: number } = {},
): ConsumerDefinition<S> {
  return { subject, handle, name: options.name, concurrency: options.concurrency };
}

/** Options of a running consumer. */
export interface EventConsumerOptions<S extends Subject> {
  /** The service; all its replicas share one durable consumer per subject. */
  service: string;
  definition: ConsumerDefinition<S>;
  nc: NatsConnection;
  jsm: JetStreamManager;
  db: Database;
  logger: Logger;
  /** Deliveries of a failing event before it is dead-lettered. */
  maxDeliveries?: number;
  /** Deliveries of an event waiting for an earlier version before it is dead-lettered. */
  maxVersionWaits?: number;
  /** Time the server waits for an ack before redelivering. */
  ackWaitMs?: number;
  /**
   * Messages handled at once by this instance (default 1). Two with the same key (the record the
   * event is about, see `EventContract.key`) are never handled at once: the later waits its turn.
   */
  concurrency?: number;
  /**
   * How long events may wait on the server while reaching nobody (this instance idle) before it
   * abandons its pull for a fresh one, then moves to another server (see `PullWatchdog`).
   */
  stallTimeoutMs?: number;
}

/** Signals a consumer emits (tests and metrics wait on them). */
export interface ConsumerSignals {
  handled: [EventEnvelope];
  duplicate: [EventEnvelope];
  retry: [{ event?: EventEnvelope; error: unknown; deliveryCount: number }];
  deferred: [{ event: EventEnvelope; deliveryCount: number }];
  'dead-lettered': [{ eventId?: string; reason: string }];
  /** A well-formed event on a subject this consumer does not take (the server strayed from the durable's filter). */
  misdelivered: [{ eventId: string; subject: string }];
}

const tracer = trace.getTracer('@ticketing/common/consumer');

/**
 * Lifetime of one pull request. nats.js sends idle heartbeats every half of it and re-pulls after
 * two missed ones, so a pull lost with its server's leader is replaced within 10-15 s (the default
 * 30 s made that 30-45 s).
 */
const PULL_EXPIRES_MS = 10_000;

/** The durable consumer name of a service's subscription to a subject. */
export function durableName(service: string, subject: string): string {
  return `${service}_${subject}`.replace(/[.*>\s]/g, '-');
}

/** How a service's consumer is named in its inbox, dead letters, logs and metrics: `<service>:<name or subject>`. */
export function consumerNameOf(
  service: string,
  definition: Pick<ConsumerDefinition, 'subject' | 'name'>,
): string {
  return `${service}:${definition.name ?? definition.subject}`;
}

/**
 * Runs one durable pull consumer. Every event is handled in one database transaction together
 * with its inbox row (a repeat finds the row and is skipped) and the events the handler emits;
 * the message is acked only after that commits. Failures are retried with backoff; an event that
 * fails its schema, or keeps failing, goes to `dead_letters` with the reason and is terminated.
 */
export class EventConsumer<S extends Subject = Subject> {
  readonly events = new EventEmitter<ConsumerSignals>();
  readonly durable: string;
  readonly inboxName: string;
  private readonly maxDeliveries: number;
  private readonly maxVersionWaits: number;
  private readonly ackWaitMs: number;
  /** Messages this instance handles at once. */
  readonly concurrency: number;
  private readonly stallTimeoutMs: number;
  private readonly log: Logger;
  private messages?: ConsumerMessages;
  private running = false;
  private loop?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  /** Per key, the last message taken in whose handling has not finished (the next one of that key waits for it). */
  private readonly lastOfKey = new Map<string, Promise<void>>();

  constructor(private readonly options: EventConsumerOptions<S>) {
    const { service, definition } = options;
    this.durable = durableName(service, definition.name ?? definition.subject);
    this.inboxName = consumerNameOf(service, definition);
    this.maxDeliveries = options.maxDeliveries ?? 10;
    this.maxVersionWaits = options.maxVersionWaits ?? 60;
    this.ackWaitMs = options.ackWaitMs ?? 10_000;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.stallTimeoutMs = options.stallTimeoutMs ?? 10_000;
    this.log = options.logger.child({ consumer: this.inboxName, subject: definition.subject });
  }

  /** Creates the durable consumer, or updates its settings; safe to run from every replica. */
  async ensure(): Promise<void> {
    const { jsm, definition } = this.options;
    const config = {
      durable_name: this.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: definition.subject,
      ack_wait: nanos(this.ackWaitMs),
      // Unlimited on the server: the consumer itself decides when an event is poison.
      max_deliver: -1,
      max_ack_pending: 1000,
    };
    try {
      await jsm.consumers.info(STREAM_NAME, this.durable);
      await jsm.consumers.update(STREAM_NAME, this.durable, {
        ack_wait: config.ack_wait,
        max_ack_pending: 1000,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.consumers.add(STREAM_NAME, config);
    }
  }

  /** Starts pulling and handling messages. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.ensure();
    this.running = true;
    this.loop = this.run();
  }

  /** Stops pulling, then waits for the handlers in flight to finish. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.messages?.stop();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    const js = jetstream(this.options.nc);
    while (this.running) {
      let stopWatching: (() => void) | undefined;
      try {
        const consumer = await js.consumers.get(STREAM_NAME, this.durable);
        const messages = await consumer.consume({
          max_messages: Math.max(16, this.concurrency * 4),
          expires: PULL_EXPIRES_MS,
          // A durable gone from the server (its store lost, the stream recreated) ends the loop
          // here, and `ensure` recreates it; left alone, nats.js would wait for it forever.
          abort_on_missing_resource: true,
        });
        this.messages = messages;
        const watchdog = this.watch(messages).start();
        stopWatching = () => watchdog.stop();
        for await (const m of messages) {
          watchdog.active();
          if (this.concurrency === 1) {
            await this.track(this.process(m));
          } else {
            while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
            void this.track(this.inTurn(m));
          }
          watchdog.active();
          if (!this.running) break;
        }
      } catch (err) {
        if (!this.running) break;
        this.log.warn({ err }, 'consumer interrupted, resuming');
        await new Promise((r) => setTimeout(r, 500));
        await this.ensure().catch((e) => this.log.warn({ err: e }, 'could not ensure consumer'));
      } finally {
        stopWatching?.();
      }
    }
  }

  /**
   * Watches the pull `messages` while it runs (see `PullWatchdog`): a dead pull is stopped, so the
   * loop in `run` opens a fresh one; a server cut off from the cluster is left for another.
   */
  private watch(messages: ConsumerMessages): PullWatchdog {
    const { jsm, nc } = this.options;
    return new PullWatchdog({
      info: () => jsm.consumers.info(STREAM_NAME, this.durable),
      stallMs: this.stallTimeoutMs,
      ackWaitMs: this.ackWaitMs,
      onRepull: (why) => {
        this.log.warn({ why }, 'consumer pull stalled, pulling afresh');
        messages.stop();
      },
      onReconnect: (why) => {
        this.log.warn({ why, server: nc.info?.server_name }, 'consumer stalled on its server, reconnecting');
        nc.reconnect().catch((err) => this.log.warn({ err }, 'could not reconnect'));
      },
      // A handler at work (or stuck on its database) says nothing about the pull.
      busy: () => this.inFlight.size > 0,
    });
  }

  /**
   * Handles `m` once no earlier message of the same key is being handled. Messages arrive in stream
   * order, so one instance applies a record's events in that order; replicas sharing the durable
   * consumer are kept apart by the handlers' row locks and version checks, as before.
   */
  private inTurn(m: JsMsg): Promise<void> {
    const decoded = this.decode(m.string(), m.subject);
    if (!('event' in decoded)) return this.process(m, decoded);
    const key = `${contractFor(m.subject)!.key(decoded.event.data as never)}`;
    const before = this.lastOfKey.get(key);
    let turn: Promise<void>;
    if (before) {
      // Waiting is progress too: left silent past ack_wait, the message would be redelivered and
      // handled a second time (found in the inbox, but a redelivery all the same).
      const stopWaiting = this.keepInProgress(m);
      turn = before.finally(stopWaiting).then(() => this.process(m, decoded));
    } else {
      turn = this.process(m, decoded);
    }
    this.lastOfKey.set(key, turn);
    const forget = () => {
      if (this.lastOfKey.get(key) === turn) this.lastOfKey.delete(key);
    };
    void turn.then(forget, forget);
    return turn;
  }

  /**
   * Tells the server every third of ack_wait that `m` is still in hand, until the returned function
   * is called. Only a live process does so: one that dies stops telling, and its messages are
   * redelivered after ack_wait as before.
   */
  private keepInProgress(m: JsMsg): () => void {
    const timer = setInterval(() => {
      try {
        m.working();
      } catch {
        // The connection is closing or closed: the server will redeliver, nothing to tell it.
      }
    }, this.ackWaitMs / 3);
    timer.unref();
    return () => clearInterval(timer);
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  /**
   * Handles one message in a `process <subject>` span, a child of the publish span whose context the
   * message carries (and linked to the trace a scheduled event was caused in); never throws.
   */
  async process(m: JsMsg, decoded?: Decoded<S>): Promise<void> {
    const traceparent = m.headers?.get('traceparent') || undefined;
    const parent = contextFromTraceparent(traceparent, m.headers?.get('tracestate'));
    const origin = spanContextFromTraceparent(m.headers?.get(TRACE_LINK_HEADER));
    const links: Link[] = origin ? [{ context: origin }] : [];
    const span = tracer.startSpan(
      `process ${m.subject}`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': m.subject,
          'messaging.consumer.group.name': this.durable,
          'messaging.message.delivery_count': m.info.deliveryCount,
        },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), () => this.processInSpan(m, traceparent, decoded));
    } finally {
      span.end();
    }
  }

  private async processInSpan(
    m: JsMsg,
    traceparent: string | undefined,
    decodedBefore: Decoded<S> | undefined,
  ): Promise<void> {
    // The ack timer restarts now, not when the message was buffered: a short ack_wait then only
    // bounds how long a crashed instance holds a message, not how long a queue may wait.
    m.working();
    const deliveryCount = m.info.deliveryCount;
    const raw = m.string();
    const decoded = decodedBefore ?? this.decode(raw, m.subject);
    if ('problem' in decoded) {
      await this.deadLetter(m, raw, decoded.problem, decoded.eventId, traceparent);
      return;
    }
    if ('elsewhere' in decoded) {
      // Not poison: a valid event for other consumers, whose own durables deliver it to them.
      // nats-server 2.9.10 was seen handing a filtered durable other subjects' messages after its
      // stream leader was cut off and healed; dead-lettering them would page an operator for
      // events nobody here lost.
      this.log.warn(
        { eventId: decoded.elsewhere.id, subject: m.subject, streamSeq: m.seq },
        'event on a subject this consumer does not take, skipped',
      );
      m.term();
      this.events.emit('misdelivered', { eventId: decoded.elsewhere.id, subject: m.subject });
      return;
    }
    const event = decoded.event;
    trace.getActiveSpan()?.setAttribute('messaging.message.id', event.id);
    const log = this.log.child({ eventId: event.id });
    // A handler slower than ack_wait (waiting for a pool connection, a lock) is still at work: a
    // redelivery meanwhile would only queue behind its row locks, or behind it for its key here.
    const stopWorking = this.keepInProgress(m);
    try {
      const applied = await this.options.db
        .transaction(async (tx) => {
          const fresh = await tx
            .insert(inbox)
            .values({ consumer: this.inboxName, eventId: event.id, subject: event.subject })
            .onConflictDoNothing()
            .returning({ eventId: inbox.eventId });
          if (fresh.length === 0) return false;
          await this.options.definition.handle(tx, event, { logger: log, deliveryCount });
          return true;
        })
        .finally(stopWorking);
      m.ack();
      if (applied) {
        log.debug('event handled');
        this.events.emit('handled', event);
      } else {
        log.debug('repeat event skipped');
        this.events.emit('duplicate', event);
      }
    } catch (err) {
      if (err instanceof NotYetApplicableError) {
        if (deliveryCount >= this.maxVersionWaits) {
          await this.deadLetter(
            m,
            raw,
            `waited ${deliveryCount} deliveries: ${err.message}`,
            event.id,
            traceparent,
          );
          return;
        }
        m.nak(Math.min(2_000, 25 * 2 ** Math.min(deliveryCount - 1, 10)));
        this.events.emit('deferred', { event, deliveryCount });
        return;
      }
      const transient = isTransient(err);
      if (!transient && deliveryCount >= this.maxDeliveries) {
        await this.deadLetter(
          m,
          raw,
          `failed after ${deliveryCount} deliveries: ${describe(err)}`,
          event.id,
          traceparent,
        );
        return;
      }
      trace.getActiveSpan()?.recordException(err as Error);
      trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: describe(err) });
      log.warn({ err, deliveryCount, transient }, 'event handler failed, will retry');
      m.nak(retryDelay(deliveryCount));
      this.events.emit('retry', { event, error: err, deliveryCount });
    }
  }

  private decode(raw: string, subject: string): Decoded<S> {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return { problem: 'body is not JSON' };
    }
    const eventId =
      typeof (value as { id?: unknown })?.id === 'string' ? (value as { id: string }).id : undefined;
    const envelopeProblems = validateEnvelope(value);
    if (envelopeProblems.length > 0)
      return { problem: `invalid envelope: ${envelopeProblems.join('; ')}`, eventId };
    const envelope = value as EventEnvelope;
    if (envelope.subject !== subject) {
      return {
        problem: `subject mismatch: envelope says ${envelope.subject}, message was on ${subject}`,
        eventId,
      };
    }
    const problems = contractFor(subject)?.validate(envelope.data) ?? ['unknown subject'];
    if (problems.length === 0 && subject !== this.options.definition.subject) return { elsewhere: envelope };
    if (problems.length > 0) return { problem: `payload fails its schema: ${problems.join('; ')}`, eventId };
    return { event: envelope as EventEnvelope<S, EventData<S>> };
  }

  private async deadLetter(
    m: JsMsg,
    raw: string,
    reason: string,
    eventId?: string,
    traceparent?: string,
  ): Promise<void> {
    trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: reason.slice(0, 200) });
    try {
      await this.options.db.insert(deadLetters).values({
        consumer: this.inboxName,
        subject: m.subject,
        eventId: eventId ?? null,
        payload: raw.slice(0, 1_000_000),
        reason: reason.slice(0, 2000),
        deliveries: m.info.deliveryCount,
        streamSeq: m.seq,
        traceparent: traceparent ?? null,
      });
    } catch (err) {
      // Not recorded, so not terminated: it comes back and is dead-lettered once the database answers.
      this.log.error({ err }, 'could not record dead letter, will retry');
      m.nak(retryDelay(m.info.deliveryCount));
      return;
    }
    // nats-server 2.9 does not understand a reason on term().
    m.term();
    this.log.error({ eventId, reason, streamSeq: m.seq }, 'event dead-lettered');
    this.events.emit('dead-lettered', { eventId, reason });
  }
}

/** A message's body: the valid event, or why it cannot be one. */
type Decoded<S extends Subject> =
  | { event: EventEnvelope<S, EventData<S>> }
  | { problem: string; eventId?: string }
  /** A valid event of another subject than this consumer's. */
  | { elsewhere: EventEnvelope };

/** Backoff before redelivering a failed event: 200 ms doubling up to 10 s. */
function retryDelay(deliveryCount: number): number {
  return Math.min(10_000, 200 * 2 ** Math.min(deliveryCount - 1, 10));
}

/** Errors that say nothing about the event: the database is unreachable, restarting, or a transaction lost a race. */
export function isTransient(err: unknown): boolean {
  if (isDatabaseUnavailable(err)) return true;
  const e = err as { code?: string; cause?: unknown };
  const code = e?.code ?? (e?.cause as { code?: string } | undefined)?.code;
  return code === '40001' || code === '40P01';
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
