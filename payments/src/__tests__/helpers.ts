import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import { loadConfig, messagingTables, silentLogger, type Database } from '@ticketing/common';
import { buildApp } from '../app';
import { configSpec, type Config } from '../config';
import { orders, payments, type Order, type Payment } from '../db/schema';
import type { PaymentProvider } from '../providers';

export const jwtKey = 'payments-test-jwt-key';

/** The service's real config, as loaded from a minimal environment (no Stripe key: the sandbox). */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(configSpec, {
    DATABASE_URL: 'postgres://unused@127.0.0.1/test',
    NATS_URL: 'nats://127.0.0.1:4222',
    JWT_KEY: jwtKey,
    ...env,
  });
}

/** The payments app on `db`, charging through `provider`. */
export function testApp(db: Database, provider: PaymentProvider) {
  return buildApp({ config: testConfig(), db, logger: silentLogger() }, provider);
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
  const rows = await db.select().from(messagingTables.outbox).where(eq(messagingTables.outbox.subject, 'payment.created'));
  return rows.filter((r) => (r.data as { orderId: string }).orderId === orderId);
}
