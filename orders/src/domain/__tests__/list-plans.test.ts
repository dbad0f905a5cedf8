import crypto from 'node:crypto';
import { createTestDatabase, queryPlan, type TestDatabase } from '@ticketing/common/testing';
import { buyerOrdersQuery } from '../orders';

// 10,000 orders over 100 buyers, statistics fresh: a buyer's page must come from their slice of
// orders_user_created_id_idx, never from reading every order.
let db: TestDatabase;
let buyer: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`insert into tickets (id, title, price_cents, version)
    select gen_random_uuid(), 'Show ' || i, 1000, 0 from generate_series(1, 10000) as i`);
  await db.pool.query(`
    with buyers as (select gen_random_uuid() as id, row_number() over () as n from generate_series(1, 100))
    insert into orders (id, user_id, ticket_id, status, expires_at, created_at)
    select gen_random_uuid(), buyers.id, t.id, 'cancelled', now(), now() - t.rn * interval '1 second'
    from (select id, row_number() over () as rn from tickets) t join buyers on buyers.n = t.rn % 100 + 1`);
  await db.pool.query('analyze');
  buyer = (await db.pool.query<{ user_id: string }>('select user_id from orders limit 1')).rows[0]!.user_id;
});
afterAll(() => db.drop());

describe("a buyer's orders query on 10,000 orders", () => {
  it('reads the first page from orders_user_created_id_idx, without a Seq Scan of orders or a sort', async () => {
    const plan = await queryPlan(db.pool, buyerOrdersQuery(db.db, { userId: buyer, count: 25 }));

    expect(plan.indexes).toContain('orders_user_created_id_idx');
    expect(plan.nodeTypes).not.toContain('Sort');
    expect(plan.nodeTypes).not.toContain('Seq Scan');
  });

  it('starts a later page at its cursor in the same index', async () => {
    const cursor = {
      direction: 'after' as const,
      position: { at: new Date().toISOString().replace('Z', '000Z'), id: crypto.randomUUID() },
    };

    const plan = await queryPlan(db.pool, buyerOrdersQuery(db.db, { userId: buyer, cursor, count: 25 }));

    expect(plan.indexes).toContain('orders_user_created_id_idx');
    expect(plan.nodeTypes).not.toContain('Sort');
    expect(plan.nodeTypes).not.toContain('Seq Scan');
  });
});
