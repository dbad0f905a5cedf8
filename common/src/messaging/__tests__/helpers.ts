import crypto from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { silentLogger } from '../../http/logger';
import { requireStream, STREAM_NAME } from '../nats';
import { OutboxRelay, type RelayOptions } from '../relay';
import { outbox } from '../outbox';
import type { Database } from '../../db/database';
import type { TestDatabase } from '../../testing/test-database';
import { connectTestUser } from '../../testing/nats-server';

export const logger = silentLogger();

/** A NATS connection (as `user`, default the test user) with the event stream in place. */
export async function connectWithStream(
  url: string,
  user?: string,
): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connectTestUser(url, user);
  const jsm = await requireStream(nc);
  return { nc, jsm };
}

export function newRelay(
  db: TestDatabase,
  nc: NatsConnection,
  options: Partial<RelayOptions> = {},
): OutboxRelay {
  return new OutboxRelay({ pool: db.pool, js: jetstream(nc), logger, pollIntervalMs: 200, ...options });
}

/** Commits `count` ticket.created events, `perTx` to a transaction; returns their ids. */
export async function commitTicketEvents(db: Database, count: number, perTx = 100): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += perTx) {
    await db.transaction(async (tx) => {
      for (let j = i; j < Math.min(count, i + perTx); j++) {
        const e = await outbox.add(tx, 'ticket.created', ticketData(j));
        ids.push(e.id);
      }
    });
  }
  return ids;
}

export function ticketData(n: number, overrides: Partial<{ id: string; version: number }> = {}) {
  return {
    id: overrides.id ?? crypto.randomUUID(),
    version: overrides.version ?? 0,
    title: `Ticket ${n}`,
    price: 10 + (n % 100) / 100,
    userId: '00000000-0000-4000-8000-000000000001',
  };
}

/** Every message id on the stream, in stream order (read with an ordered consumer). */
export async function streamMessageIds(nc: NatsConnection): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(STREAM_NAME);
  const total = info.state.messages;
  const ids: string[] = [];
  if (total === 0) return ids;
  const consumer = await jetstream(nc).consumers.get(STREAM_NAME);
  const messages = await consumer.consume();
  for await (const m of messages) {
    ids.push(m.headers?.get('Nats-Msg-Id') ?? '');
    if (ids.length >= total) break;
  }
  return ids;
}

/** True when every id appears exactly once in `seen`, and nothing else does. */
export function exactlyOnce(
  expected: string[],
  seen: string[],
): { missing: number; duplicates: number; extra: number } {
  const counts = new Map<string, number>();
  for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
  const want = new Set(expected);
  let missing = 0;
  let duplicates = 0;
  for (const id of want) {
    const c = counts.get(id) ?? 0;
    if (c === 0) missing++;
    if (c > 1) duplicates += c - 1;
  }
  const extra = [...counts.keys()].filter((id) => !want.has(id)).length;
  return { missing, duplicates, extra };
}
