import crypto from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import {
  loadConfig,
  messagingTables,
  silentLogger,
  type EventData,
  type EventEnvelope,
  type Subject,
} from '@ticketing/common';
import { publishRaw, sessionCookie, type TestConsumer, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { buildApp } from '../app';
import { configSpec, type Config } from '../config';
import { orders, tickets } from '../db/schema';
import { applyTicketVersion } from '../domain/ticket-replica';

export const JWT_KEY = 'orders-test-jwt-key-of-at-least-32-bytes';

/** orders' config as loaded from an environment (`env` overrides variables). */
export function testConfig(db: TestDatabase, env: Record<string, string> = {}): Config {
  return loadConfig(configSpec, { DATABASE_URL: db.url, NATS_URL: 'nats://127.0.0.1:4222', JWT_KEY, ...env });
}

/** orders' app on a test database. */
export function testApp(db: TestDatabase, env: Record<string, string> = {}) {
  return buildApp({ config: testConfig(db, env), db: db.db, logger: silentLogger(), deps: undefined });
}

export type TestApp = ReturnType<typeof testApp>;

/** A new signed-in user: their id and the Cookie header that carries their session. */
export function newUser(): { id: string; cookie: string } {
  const id = crypto.randomUUID();
  return { id, cookie: sessionCookie(JWT_KEY, { id }) };
}

/** Puts a ticket into the replica at version 0, as `ticket.created` would. */
export async function addTicket(
  db: TestDatabase,
  overrides: { id?: string; title?: string; price?: number } = {},
): Promise<{ id: string; title: string; price: number }> {
  const ticket = { id: crypto.randomUUID(), title: 'Concert', price: 19.99, ...overrides };
  await db.db.transaction((tx) => applyTicketVersion(tx, { ...ticket, version: 0 }));
  return ticket;
}

/** A `ticket.created` payload for a new ticket. */
export function ticketCreatedData(
  overrides: Partial<EventData<'ticket.created'>> = {},
): EventData<'ticket.created'> {
  return {
    id: crypto.randomUUID(),
    version: 0,
    title: 'Concert',
    price: 20,
    userId: crypto.randomUUID(),
    ...overrides,
  };
}

/** A `ticket.updated` payload: `ticket` at `version` with new fields. */
export function ticketUpdatedData(
  ticket: { id: string; userId: string },
  version: number,
  overrides: Partial<EventData<'ticket.updated'>> = {},
): EventData<'ticket.updated'> {
  return {
    id: ticket.id,
    userId: ticket.userId,
    version,
    title: 'Concert',
    price: 20,
    orderId: null,
    ...overrides,
  };
}

/** Places an order through the API. */
export function postOrder(app: TestApp, cookie: string, ticketId: string) {
  return request(app).post('/api/orders').set('Cookie', cookie).send({ ticketId });
}

/** Places an order through the API and returns its body; fails the test unless it is a 201. */
export async function placeOrderFor(app: TestApp, cookie: string, ticketId: string) {
  const res = await postOrder(app, cookie, ticketId);
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as { id: string; version: number; status: string; expiresAt: string };
}

/** A new buyer with an order (through the API) on a new ticket. */
export async function buyerWithOrder(db: TestDatabase, app: TestApp) {
  const buyer = newUser();
  const ticket = await addTicket(db);
  const order = await placeOrderFor(app, buyer.cookie, ticket.id);
  return { buyer, ticket, order };
}

/** DELETE /api/orders/:id, as `cookie` (signed out when omitted). */
export function deleteOrder(app: TestApp, orderId: string, cookie?: string) {
  const req = request(app).delete(`/api/orders/${orderId}`);
  return cookie ? req.set('Cookie', cookie) : req;
}

/** The stored order row. */
export async function storedOrder(db: TestDatabase, id: string) {
  const [row] = await db.db.select().from(orders).where(eq(orders.id, id));
  return row;
}

/** The stored ticket replica row. */
export async function storedTicket(db: TestDatabase, id: string) {
  const [row] = await db.db.select().from(tickets).where(eq(tickets.id, id));
  return row;
}

/** The payloads of the events of `subject` committed to the outbox, in order. */
export async function outboxEvents<S extends Subject>(db: TestDatabase, subject: S): Promise<EventData<S>[]> {
  const rows = await db.db
    .select()
    .from(messagingTables.outbox)
    .where(eq(messagingTables.outbox.subject, subject))
    .orderBy(asc(messagingTables.outbox.seq));
  return rows.map((row) => row.data as EventData<S>);
}

/** The outbox events of `subject` about one order. */
export async function orderEvents<S extends 'order.created' | 'order.cancelled' | 'order.completed'>(
  db: TestDatabase,
  subject: S,
  orderId: string,
): Promise<EventData<S>[]> {
  return (await outboxEvents(db, subject)).filter((e) => (e as { id: string }).id === orderId);
}

/** Sends an event that was already published once more, bypassing the stream's dedup: a redelivery the consumer must recognise. */
export function publishAgain(nc: TestConsumer<Subject>['nc'], envelope: EventEnvelope): Promise<void> {
  return publishRaw(nc, envelope.subject, JSON.stringify(envelope));
}
