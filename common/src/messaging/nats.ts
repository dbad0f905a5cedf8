import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { defineConfig, type ConfigOf } from '../config/config';
import { eventCatalog } from '../events/catalog';

/** The one stream that carries every event of the catalog. */
export const STREAM_NAME = 'TICKETING_EVENTS';

/** The inbox prefix of a NATS user: its replies (API answers, pulled messages) arrive only there. */
export function inboxPrefixOf(user: string): string {
  return `_INBOX_${user}`;
}

/** Connects to NATS and keeps reconnecting for as long as it takes; status changes are logged. */
export async function connectNats(options: {
  servers: string;
  name?: string;
  logger: Logger;
  /** The NATS user (a service's name); without one the connection is anonymous. */
  user?: string;
  password?: string;
  /** PEM file of the CA that signed the server's certificate: the connection then requires TLS. */
  caFile?: string;
}): Promise<NatsConnection> {
  const nc = await connect({
    servers: options.servers.split(',').map((s) => s.trim()),
    name: options.name,
    ...(options.user
      ? // Replies come back on the user's own inbox prefix, the only one its permissions let it read.
        { user: options.user, pass: options.password, inboxPrefix: inboxPrefixOf(options.user) }
      : {}),
    ...(options.caFile ? { tls: { caFile: options.caFile } } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    // Without it, every request (each JetStream publish, each ack with a reply) captures a stack
    // trace up front in case it times out. Errors keep their name and message; only their stack
    // shows the timer rather than the caller.
    noAsyncTraces: true,
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

/** The event stream's limits; `ensureStream` makes the stream match them. */
export interface StreamSettings {
  /** Servers holding a copy (1 on a single server; 3 on the production cluster). Default 1. */
  replicas?: number;
  /** Events older than this are removed. Default 7 days (as long as the outbox keeps them). */
  maxAgeMs?: number;
  /**
   * Size of the stream on disk. When full, publishing fails (discard new) and the relays keep the
   * events in their outboxes until old events age out: nothing is lost. Default 1 GiB.
   */
  maxBytes?: number;
  /** Deduplication by message id holds this long; consumers' inboxes cover the rest. Default 10 min. */
  duplicateWindowMs?: number;
}

/** The variables of the admin step that size the stream (`ticketing-nats setup`, npm start). */
export const streamConfigSpec = defineConfig({
  NATS_STREAM_REPLICAS: {
    doc: 'Servers holding a copy of the event stream',
    type: 'int',
    default: 1,
    min: 1,
  },
  NATS_STREAM_MAX_AGE_HOURS: {
    doc: 'Events older than this leave the stream (default 168: 7 days, as long as the outbox keeps them)',
    type: 'number',
    default: 168,
    min: 0.001,
  },
  NATS_STREAM_MAX_BYTES: {
    doc: 'Size limit of the stream (default 1 GiB); when full, publishing fails and events wait in the outboxes',
    type: 'int',
    default: 1024 ** 3,
    min: 1,
  },
});

/** The stream settings of a loaded `streamConfigSpec`. */
export function streamSettingsFrom(config: ConfigOf<typeof streamConfigSpec>): StreamSettings {
  return {
    replicas: config.NATS_STREAM_REPLICAS,
    maxAgeMs: Math.round(config.NATS_STREAM_MAX_AGE_HOURS * 3600_000),
    maxBytes: config.NATS_STREAM_MAX_BYTES,
  };
}

/** Defaults of `StreamSettings`. */
export const defaultStreamSettings: Required<StreamSettings> = {
  replicas: 1,
  maxAgeMs: 7 * 24 * 3600_000,
  maxBytes: 1024 ** 3,
  duplicateWindowMs: 10 * 60_000,
};

/**
 * The admin step: creates the event stream, or updates it when its subjects, limits or replica
 * count differ from `settings`. Needs the admin user (services may only read the stream's info).
 */
export async function ensureStream(
  nc: NatsConnection,
  settings: StreamSettings = {},
): Promise<JetStreamManager> {
  const s = { ...defaultStreamSettings, ...settings };
  const jsm = await jetstreamManager(nc);
  const wanted = {
    max_age: nanos(s.maxAgeMs),
    max_bytes: s.maxBytes,
    discard: DiscardPolicy.New,
    num_replicas: s.replicas,
    duplicate_window: nanos(s.duplicateWindowMs),
  } satisfies Partial<StreamConfig>;
  const subjects = Object.keys(eventCatalog);
  try {
    const info = await jsm.streams.info(STREAM_NAME);
    const missing = subjects.filter((x) => !info.config.subjects?.includes(x));
    const differs = (Object.keys(wanted) as (keyof typeof wanted)[]).some(
      (k) => info.config[k] !== wanted[k],
    );
    if (missing.length > 0 || differs) {
      await jsm.streams.update(STREAM_NAME, {
        ...info.config,
        ...wanted,
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
        ...wanted,
      });
    } catch (addErr) {
      // Another setup run created it first: make sure it has these settings.
      if (!/already in use|exists/i.test(String(addErr))) throw addErr;
      return ensureStream(nc, settings);
    }
  }
  return jsm;
}

/**
 * A service's start: the stream must exist (the admin step creates it); a service cannot create
 * or change it. Throws a one-line error saying so when it is missing.
 */
export async function requireStream(nc: NatsConnection): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(STREAM_NAME);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw new Error(
      `stream ${STREAM_NAME} not found: run the NATS setup step first (ticketing-nats setup, as the admin user)`,
    );
  }
  return jsm;
}

/**
 * The server leading the event stream in a cluster (its `server_name`), as the stream's info says;
 * undefined on a single server. Throws when JetStream does not answer within `timeoutMs` (e.g.
 * while a leader is being elected).
 */
export async function streamLeader(nc: NatsConnection, timeoutMs = 2_000): Promise<string | undefined> {
  const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
  return (await jsm.streams.info(STREAM_NAME)).cluster?.leader;
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
