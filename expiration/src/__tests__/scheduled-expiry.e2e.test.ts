import { eq } from 'drizzle-orm';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAM_NAME, silentLogger, startService, type RunningService } from '@ticketing/common';
import {
  publishTestEvent,
  startMessagingFixture,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@ticketing/common/testing';
import { scheduledExpirations } from '../db/schema';
import { expirationService } from '../service';
import { orderCreatedData } from './helpers';

let db: TestDatabase;
let nats: NatsServerHandle;
let nc: NatsConnection;
let orders: NatsConnection;
let teardown: () => Promise<void>;
const running: RunningService[] = [];

/** Starts the real service (main's definition) against this file's database and nats-server. */
async function startExpirationService(): Promise<RunningService> {
  const service = await startService(expirationService, {
    env: { DATABASE_URL: db.url, ...nats.env('expiration'), PORT: '0' },
    logger: silentLogger(),
  });
  running.push(service);
  return service;
}

async function stopService(service: RunningService): Promise<void> {
  await service.stop();
  running.splice(running.indexOf(service), 1);
}

function waitUntilScheduled(orderId: string) {
  return waitFor(
    () =>
      db.db
        .select()
        .from(scheduledExpirations)
        .where(eq(scheduledExpirations.orderId, orderId))
        .then((r) => r[0]),
    {
      what: `expiry of ${orderId} scheduled`,
    },
  );
}

/**
 * Every expiration.complete for `orderId` on the stream, with the time the stream stored it. Read
 * with a fresh ordered consumer of our own each time, so it also works across a NATS restart.
 */
async function expirationsOnStream(orderId: string): Promise<{ storedAt: number }[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(STREAM_NAME, { subjects_filter: 'expiration.complete' });
  const onStream = info.state.subjects?.['expiration.complete'] ?? 0;
  const reader = await jetstream(nc).consumers.get(STREAM_NAME, { filter_subjects: 'expiration.complete' });
  const found: { storedAt: number }[] = [];
  for (let read = 0; read < onStream; read++) {
    const m = await reader.next({ expires: 5_000 });
    if (!m)
      throw new Error(`the stream holds ${onStream} expiration.complete but only ${read} could be read`);
    if (m.json<{ data: { orderId: string } }>().data.orderId === orderId) {
      found.push({ storedAt: Number(m.info.timestampNanos) / 1e6 });
    }
  }
  await reader.delete();
  return found;
}

function waitUntilPublished(orderId: string, timeoutMs: number) {
  return waitFor(() => expirationsOnStream(orderId).then((found) => (found.length > 0 ? found : null)), {
    timeoutMs,
    intervalMs: 50,
    what: `expiration.complete for ${orderId} on the stream`,
  });
}

beforeAll(async () => {
  ({ db, nats, stop: teardown } = await startMessagingFixture('expiration'));
  // Reads the stream as the test-only user; `orders` plays the service publishing order events.
  nc = await nats.connect();
  orders = await nats.connect('orders');
});

afterEach(async () => {
  for (const service of running.splice(0)) await service.stop();
});

afterAll(async () => {
  await nc?.close();
  await orders?.close();
  await teardown?.();
});

describe('scheduled expiry', () => {
  it('publishes expiration.complete within 1 s after expiresAt when the service restarted in between', async () => {
    const first = await startExpirationService();
    const expiresAt = Date.now() + 2_000;
    const order = orderCreatedData({ expiresAt: new Date(expiresAt).toISOString() });
    await publishTestEvent(orders, 'order.created', order);
    await waitUntilScheduled(order.id);

    await stopService(first);
    expect(Date.now()).toBeLessThan(expiresAt);
    await startExpirationService();

    const published = await waitUntilPublished(order.id, 5_000);
    expect(published).toHaveLength(1);
    expect(published[0]!.storedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(published[0]!.storedAt).toBeLessThanOrEqual(expiresAt + 1_000);
  });

  it('publishes an expiry that came due while NATS was down once NATS is back', async () => {
    await startExpirationService();
    const expiresAt = Date.now() + 1_000;
    const order = orderCreatedData({ expiresAt: new Date(expiresAt).toISOString() });
    await publishTestEvent(orders, 'order.created', order);
    await waitUntilScheduled(order.id);

    await nats.halt();
    await waitFor(() => Date.now() > expiresAt + 500, { what: 'the expiry to come due during the outage' });
    await nats.restart();

    const published = await waitUntilPublished(order.id, 15_000);
    expect(published).toHaveLength(1);
    expect(published[0]!.storedAt).toBeGreaterThan(expiresAt + 500);
  });
});
