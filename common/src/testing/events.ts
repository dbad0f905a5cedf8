import crypto from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Database } from '../db/database';
import type { EventData, Subject } from '../events/catalog';
import type { EventEnvelope } from '../events/contract';
import { silentLogger } from '../http/logger';
import { EventConsumer, type ConsumerDefinition, type ConsumerSignals } from '../messaging/consumer';
import { requireStream } from '../messaging/nats';
import { serviceCatalog } from '../services/catalog';
import { connectTestUser, testUserFor } from './nats-server';

/** Publishes an event to the stream as a producing service's relay would (the event id is the message id). */
export async function publishTestEvent<S extends Subject>(
  nc: NatsConnection,
  subject: S,
  data: EventData<S>,
  options: { id?: string } = {},
): Promise<EventEnvelope<S, EventData<S>>> {
  const envelope = {
    id: options.id ?? crypto.randomUUID(),
    subject,
    occurredAt: new Date().toISOString(),
    data,
  };
  await jetstream(nc).publish(subject, JSON.stringify(envelope), { msgID: envelope.id });
  return envelope;
}

/** Publishes a raw body (for poison-message tests); no message id, so repeats are not deduplicated. */
export async function publishRaw(nc: NatsConnection, subject: string, body: string): Promise<void> {
  await jetstream(nc).publish(subject, body);
}

/** A consumer running against a test database and nats-server, with a way to await its signals. */
export interface TestConsumer<S extends Subject> {
  consumer: EventConsumer<S>;
  /** The consumer's connection, as its service (or the test user for a service the catalog lacks). */
  nc: NatsConnection;
  /** A connection as the service that publishes the subject, for tests that play it. */
  publisher: NatsConnection;
  /**
   * Resolves with a signal of `kind` whose event id is `eventId` (any when omitted): the oldest one
   * received since the consumer started that no earlier `next` took, else the next to come. Signals are
   * buffered from the start, so an event handled before the test began listening is not missed; each
   * signal is taken once.
   */
  next<K extends keyof ConsumerSignals>(
    kind: K,
    eventId?: string,
    timeoutMs?: number,
  ): Promise<ConsumerSignals[K][0]>;
  stop(): Promise<void>;
}

type SignalKind = keyof ConsumerSignals;
type SignalPayload = ConsumerSignals[SignalKind][0];

/** Every kind of signal a consumer emits (a Record, so the compiler says when one is missing here). */
const SIGNAL_KINDS = Object.keys({
  handled: true,
  duplicate: true,
  retry: true,
  deferred: true,
  'dead-lettered': true,
  misdelivered: true,
} satisfies Record<SignalKind, true>) as SignalKind[];

/** Whether a signal is about the event `eventId` (every signal is, when `eventId` is omitted). */
function matches(payload: SignalPayload, eventId: string | undefined): boolean {
  if (!eventId) return true;
  const p = payload as { id?: string; eventId?: string; event?: { id: string } };
  return (p.id ?? p.eventId ?? p.event?.id) === eventId;
}

/** How `startTestConsumer` runs a consumer. */
export interface TestConsumerOptions {
  /** The service it plays: its durable consumer, inbox name and NATS user. */
  service: string;
  natsUrl: string;
  db: Database;
  maxDeliveries?: number;
  concurrency?: number;
  ackWaitMs?: number;
}

/** Starts `definition` as the service `service` would (same durable consumer, inbox and dead-letter table). */
export async function startTestConsumer<S extends Subject>(
  definition: ConsumerDefinition<S>,
  options: TestConsumerOptions,
): Promise<TestConsumer<S>> {
  const nc = await connectTestUser(options.natsUrl, testUserFor(options.natsUrl, options.service));
  const owner = Object.entries(serviceCatalog).find(([, d]) =>
    (d.publishes as readonly string[]).includes(definition.subject),
  )?.[0];
  const publisher = await connectTestUser(options.natsUrl, testUserFor(options.natsUrl, owner ?? ''));
  const jsm = await requireStream(nc);
  const consumer = new EventConsumer({
    service: options.service,
    definition,
    nc,
    jsm,
    db: options.db,
    logger: silentLogger(),
    maxDeliveries: options.maxDeliveries,
    concurrency: options.concurrency,
    ackWaitMs: options.ackWaitMs,
  });
  const buffered: { kind: SignalKind; payload: SignalPayload }[] = [];
  const waiters: { kind: SignalKind; eventId?: string; take(payload: SignalPayload): void }[] = [];
  const listeners = SIGNAL_KINDS.map((kind) => {
    const listener = (payload: SignalPayload) => {
      const i = waiters.findIndex((w) => w.kind === kind && matches(payload, w.eventId));
      if (i >= 0) waiters.splice(i, 1)[0].take(payload);
      else buffered.push({ kind, payload });
    };
    // Listening before the consumer starts: no signal can come before the buffer is there.
    consumer.events.on(kind, listener as never);
    return { kind, listener };
  });
  await consumer.start();
  return {
    consumer,
    nc,
    publisher,
    next(kind, eventId, timeoutMs = 15_000) {
      type Payload = ConsumerSignals[typeof kind][0];
      const i = buffered.findIndex((b) => b.kind === kind && matches(b.payload, eventId));
      if (i >= 0) return Promise.resolve(buffered.splice(i, 1)[0].payload as Payload);
      return new Promise((resolve, reject) => {
        const waiter = {
          kind,
          eventId,
          take(payload: SignalPayload) {
            clearTimeout(timer);
            resolve(payload as Payload);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(
              `no '${String(kind)}' signal${eventId ? ` for ${eventId}` : ''} within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async stop() {
      await consumer.stop();
      for (const { kind, listener } of listeners) consumer.events.off(kind, listener as never);
      await nc.close();
      await publisher.close();
    },
  };
}
