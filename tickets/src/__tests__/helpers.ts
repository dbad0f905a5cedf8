import crypto from 'node:crypto';
import {
  loadConfig,
  silentLogger,
  type ConsumerSignals,
  type Database,
  type EventData,
  type OrderCreatedData,
  type Subject,
} from '@ticketing/common';
import {
  publishRaw,
  publishTestEvent,
  sessionCookie,
  type TestConsumer,
  type TestDatabase,
} from '@ticketing/common/testing';
import request from 'supertest';
import { buildApp } from '../app';
import { configSpec } from '../config';
import { reserveTicket } from '../domain/reservations';
import { createTicket, findTicket, type Ticket } from '../domain/tickets';

export const JWT_KEY = 'tickets-test-jwt-key-of-at-least-32-bytes';

/** tickets' app on a test database, its config loaded as from an environment. */
export function testApp(db: TestDatabase) {
  const config = loadConfig(configSpec, { DATABASE_URL: db.url, NATS_URL: 'nats://127.0.0.1:4222', JWT_KEY });
  return buildApp({ config, db: db.db, logger: silentLogger(), deps: undefined });
}

/** A signed-in user: their id and the Cookie header that carries their session. */
export function aUser(): { id: string; cookie: string } {
  const id = crypto.randomUUID();
  return { id, cookie: sessionCookie(JWT_KEY, { id }) };
}

/** Lists a ticket through the domain (as POST /api/tickets does), committing its ticket.created. */
export function aTicket(
  db: Database,
  overrides: { userId?: string; title?: string; priceCents?: number } = {},
): Promise<Ticket> {
  return db.transaction((tx) =>
    createTicket(tx, overrides.userId ?? crypto.randomUUID(), {
      title: overrides.title ?? 'Concert',
      priceCents: overrides.priceCents ?? 2_000,
    }),
  );
}

/** A ticket (of `userId`, or a new seller) reserved by a new order; returns both. */
export async function reservedTicket(
  db: Database,
  userId?: string,
): Promise<{ ticket: Ticket; orderId: string }> {
  const ticket = await aTicket(db, { userId });
  const orderId = crypto.randomUUID();
  await db.transaction((tx) => reserveTicket(tx, { orderId, ticketId: ticket.id }));
  return { ticket, orderId };
}

/** The stored ticket (throws when missing). */
export async function storedTicket(db: Database, id: string): Promise<Ticket> {
  const ticket = await findTicket(db, id);
  if (!ticket) throw new Error(`no ticket ${id}`);
  return ticket;
}

/** The payloads of the events committed to the outbox for one ticket, in commit order. */
export async function ticketEvents(db: TestDatabase, ticketId: string, subject?: string) {
  const { rows } = await db.pool.query<{ subject: string; data: Record<string, unknown> }>(
    `select subject, data from outbox where data->>'id' = $1 and ($2::text is null or subject = $2) order by seq`,
    [ticketId, subject ?? null],
  );
  return rows;
}

/** A valid `order.created` payload for `ticketId`. */
export function orderCreatedData(ticketId: string, orderId: string = crypto.randomUUID()): OrderCreatedData {
  return {
    id: orderId,
    version: 0,
    status: 'created',
    userId: crypto.randomUUID(),
    expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    ticket: { id: ticketId, price: 20 },
  };
}

/** PUT /api/tickets/:id as `cookie`. */
export function putTicket(app: ReturnType<typeof testApp>, id: string, cookie: string, body: object) {
  return request(app).put(`/api/tickets/${id}`).set('Cookie', cookie).send(body);
}

/**
 * Publishes an event to a running test consumer and waits for its `signal` (handled by default),
 * listening before publishing so a fast consumer cannot be missed. Returns the envelope.
 */
export async function deliver<S extends Subject>(
  tc: TestConsumer<S>,
  subject: S,
  data: EventData<S>,
  { signal = 'handled', id = crypto.randomUUID() }: { signal?: keyof ConsumerSignals; id?: string } = {},
) {
  const seen = tc.next(signal, id);
  const event = await publishTestEvent(tc.publisher, subject, data, { id });
  await seen;
  return event;
}

/** Delivers an envelope again without a message id, so JetStream cannot drop it: the consumer's inbox must. */
export async function redeliver<S extends Subject>(
  tc: TestConsumer<S>,
  event: { id: string; subject: string },
) {
  const seen = tc.next('duplicate', event.id);
  await publishRaw(tc.publisher, event.subject, JSON.stringify(event));
  await seen;
}
