import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { eventCatalog } from '../events/catalog';

/** The one stream that carries every event of the catalog. */
export const STREAM_NAME = 'TICKETING_EVENTS';

/** Connects to NATS and keeps reconnecting for as long as it takes; status changes are logged. */
export async function connectNats(options: {
  servers: string;
  name?: string;
  logger: Logger;
}): Promise<NatsConnection> {
  const nc = await connect({
    servers: options.servers.split(',').map((s) => s.trim()),
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
        options.logger.warn(
          { natsStatus: s.type, server: (s as { server?: string }).server },
          'nats connection status',
        );
      }
    }
  })().catch(() => undefined);
  return nc;
}

/**
 * Creates the event stream, or adds missing subjects to it; safe to run from every replica at
 * start-up. Deduplication by message id holds for `duplicateWindowMs`; consumers' inboxes cover the rest.
 */
export async function ensureStream(
  nc: NatsConnection,
  options: { replicas?: number; duplicateWindowMs?: number } = {},
): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const subjects = Object.keys(eventCatalog);
  const duplicateWindow = nanos(options.duplicateWindowMs ?? 10 * 60_000);
  try {
    const info = await jsm.streams.info(STREAM_NAME);
    const missing = subjects.filter((s) => !info.config.subjects?.includes(s));
    if (missing.length > 0) {
      await jsm.streams.update(STREAM_NAME, {
        ...info.config,
        subjects: [...(info.config.subjects ?? []), ...missing],
      });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.streams.add({
        name: STREAM_NAME,
        subjects,
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        num_replicas: options.replicas ?? 1,
        duplicate_window: duplicateWindow,
      });
    } catch (addErr) {
      // Another replica created it first with the same config: fine.
      if (!/already in use|exists/i.test(String(addErr))) throw addErr;
    }
  }
  return jsm;
}

/** True for JetStream's "stream/consumer not found" answers. */
export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  return (
    e?.api_error?.err_code === 10059 ||
    e?.api_error?.err_code === 10014 ||
    /not found/i.test(String(e?.message ?? err))
  );
}
