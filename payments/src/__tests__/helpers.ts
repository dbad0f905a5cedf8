import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import {
  loadConfig,
  messagingTables,
  silentLogger,
  type Database,
  type OrderCreatedData,
} from '@ticketing/common';
import { publishTestEvent, sessionCookie, waitFor } from '@ticketing/common/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import request from 'supertest';
import { buildApp } from '../app';
import { configSpec, type Config } from '../config';
import { paymentsDependencies } from '../dependencies';
import { orders, payments, type Order, type Payment } from '../db/schema';
import type { PaymentProvider } from '../providers';

export const jwtKey = 'payments-test-jwt-key-of-at-least-32-bytes';

/** The service's real config, as loaded from a minimal environment (no Stripe key: the sandbox). */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(configSpec, {
    DATABASE_URL: 'postgres://unused@127.0.0.1/test',
    NATS_URL: 'nats://127.0.0.1:4222',
    JWT_KEY: jwtKey,
    ...env,
  });
}

/** The payments app on `db`, charging through `provider` (`env` overrides variables). */
export function testApp(db: Database, provider: PaymentProvider, env: Record<string, string> = {}) {
  const config = testConfig(env);
  return buildApp({
    config,
    db,
    logger: silentLogger(),
    deps: paymentsDependencies({ config, db }, provider),
  });
}

/** POST /api/payments with `body`, signed in as `userId`. */
export function postPayment(app: ReturnType<typeof buildApp>, userId: string, body: object) {
  return request(app)
    .post('/api/payments')
    .set('Cookie', sessionCookie(jwtKey, { id: userId }))
    .send(body);
}

/** Puts an order in the replica as the order events would have; payable by `userId` for 15 minutes by default. */
export async function buildOrder(db: Database, overrides: Partial<Order> = {}): Promise<Order> {
  const [order] = await db
    .insert(orders)
    .values({
      id: crypto.randomUUID(),
      userId: crypto.randomUUID(),
      status: 'created',
      priceCents: 1999,
      version: 0,
      expiresAt: new Date(Date.now() + 15 * 60_000),
      ...overrides,
    })
    .returning();
  return order!;
}

/** Every payment attempt of an order, oldest first. */
export function paymentsOf(db: Database, orderId: string): Promise<Payment[]> {
  return db.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(payments.createdAt);
}

/** The payment.created events committed for an order. */
export async function paymentCreatedEvents(db: Database, orderId: string) {
  const rows = await db
    .select()
    .from(messagingTables.outbox)
    .where(eq(messagingTables.outbox.subject, 'payment.created'));
  return rows.filter((r) => (r.data as { orderId: string }).orderId === orderId);
}

/** An `order.created` payload for a new order (expiring at a fixed time unless given). */
export function orderCreatedData(overrides: Partial<OrderCreatedData> = {}): OrderCreatedData {
  return {
    id: crypto.randomUUID(),
    version: 0,
    status: 'created',
    userId: crypto.randomUUID(),
    expiresAt: '2026-11-23T12:15:00.000Z',
    ticket: { id: crypto.randomUUID(), price: 19.99 },
    ...overrides,
  };
}

/**
 * Publishes order.created as orders would (on `ordersNc`, a connection as the orders user) and
 * waits until payments' replica holds the order; returns the ids, the buyer's included.
 */
export async function announceOrder(
  ordersNc: NatsConnection,
  db: Database,
  { price = 12.5, expiresInMs = 60_000 }: { price?: number; expiresInMs?: number } = {},
): Promise<{ orderId: string; userId: string; ticketId: string }> {
  const ids = { orderId: crypto.randomUUID(), userId: crypto.randomUUID(), ticketId: crypto.randomUUID() };
  await publishTestEvent(ordersNc, 'order.created', {
    id: ids.orderId,
    version: 0,
    status: 'created',
    userId: ids.userId,
    expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
    ticket: { id: ids.ticketId, price },
  });
  await waitFor(
    () =>
      db
        .select()
        .from(orders)
        .where(eq(orders.id, ids.orderId))
        .then((r) => r[0]),
    { what: 'the replica' },
  );
  return ids;
}
