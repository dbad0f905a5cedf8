import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, migrateDatabase, type DatabaseHandle } from '@ticketing/common';
import { adminQuery, testDatabaseName } from '@ticketing/common/testing';
import { orders, payments, refunds } from '../schema';

const migrationsFolder = path.join(__dirname, '..', 'migrations');
// The server the jest global setup started (the same variable createTestDatabase reads).
const serverUrl = process.env.TICKETING_TEST_PG_SERVER!;
const name = testDatabaseName();
let database: DatabaseHandle;
let before: string;

/** The migrations folder as it was before the refund worker: 0000 to 0002. */
function migrationsBeforeRefundWorker(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payments-migrations-'));
  fs.mkdirSync(path.join(dir, 'meta'));
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  };
  const end = journal.entries.findIndex((e) => e.tag === '0003_refund_worker');
  journal.entries = journal.entries.slice(0, end);
  for (const { tag } of journal.entries) {
    fs.copyFileSync(path.join(migrationsFolder, `${tag}.sql`), path.join(dir, `${tag}.sql`));
  }
  fs.writeFileSync(path.join(dir, 'meta/_journal.json'), JSON.stringify(journal));
  return dir;
}

beforeAll(async () => {
  await adminQuery(serverUrl, `create database ${name}`);
  database = createDatabase(serverUrl.replace(/\/[^/]*$/, `/${name}`), { max: 2 });
  before = migrationsBeforeRefundWorker();
  await migrateDatabase(database.pool, database.db, before);
});

afterAll(async () => {
  await database?.close();
  await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
  if (before) fs.rmSync(before, { recursive: true, force: true });
});

async function orderWithPayment(orderStatus: 'cancelled' | 'complete', payment: Record<string, unknown>) {
  const orderId = crypto.randomUUID();
  const id = crypto.randomUUID();
  await database.db.insert(orders).values({
    id: orderId,
    userId: crypto.randomUUID(),
    status: orderStatus,
    priceCents: 2500,
    version: 1,
    expiresAt: new Date(),
  });
  await database.db.insert(payments).values({
    id,
    orderId,
    status: 'succeeded',
    amountCents: 2500,
    token: 'tok_visa',
    idempotencyKey: `order_${orderId}_attempt_${id}`,
    providerChargeId: `ch_${id}`,
    attemptedAt: new Date(),
    ...payment,
  });
  return id;
}

describe('migration 0003_refund_worker', () => {
  it('owes a refund for every charge an earlier version left standing on a cancelled order, and for nothing else', async () => {
    const standing = await orderWithPayment('cancelled', {});
    await orderWithPayment('complete', {});
    await orderWithPayment('cancelled', { status: 'declined', providerChargeId: null });
    await orderWithPayment('cancelled', { status: 'refunded', refundId: 're_1', refundedAt: new Date() });

    await migrateDatabase(database.pool, database.db, migrationsFolder);

    expect(await database.db.select().from(refunds)).toEqual([
      expect.objectContaining({
        paymentId: standing,
        chargeId: `ch_${standing}`,
        amountCents: 2500,
        idempotencyKey: `refund_${standing}`,
        status: 'pending',
        attempts: 0,
      }),
    ]);
  });
});
