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
  /** Resolves with the next signal of `kind` whose event id is `eventId` (any when omitted). */
  next<K extends keyof ConsumerSignals>(
    kind: K,
    eventId?: string,
    timeoutMs?: number,
  ): Promise<ConsumerSignals[K][0]>;
  stop(): Promise<void>;
}

/** Starts `definition` as the service `service` would (same durable consumer, inbox and dead-letter table). */
export async function startTestConsumer<S extends Subject>(
  definition: ConsumerDefinition<S>,
  options: { service: string; natsUrl: string; db: Database; maxDeliveries?: number; concurrency?: number },
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
  });
  await consumer.start();
  return {
    consumer,
    nc,
    publisher,
    next(kind, eventId, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          consumer.events.off(kind, listener as never);
          reject(
            new Error(
              `no '${String(kind)}' signal${eventId ? ` for ${eventId}` : ''} within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        const listener = (payload: ConsumerSignals[typeof kind][0]) => {
          const p = payload as { id?: string; eventId?: string; event?: { id: string } };
          const id = p.id ?? p.eventId ?? p.event?.id;
          if (eventId && id !== eventId) return;
          clearTimeout(timer);
          consumer.events.off(kind, listener as never);
          resolve(payload);
        };
        consumer.events.on(kind, listener as never);
      });
    },
    async stop() {
      await consumer.stop();
      await nc.close();
      await publisher.close();
    },
  };
}
