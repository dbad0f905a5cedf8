import crypto from 'node:crypto';
import { createTestDatabase, queryPlan, type TestDatabase } from '@ticketing/common/testing';
import { ticketsForSaleQuery } from '../tickets';

// 10,000 tickets for sale (1 in 100 a jazz night) and 10,000 sold, statistics fresh: the plans the
// listing gets on a real catalogue, where a Seq Scan would read every row for every page.
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`
    insert into tickets (id, title, price_cents, user_id, created_at, order_id, sold_at)
    select gen_random_uuid(),
           case when i % 100 = 0 then 'Jazz Night ' || i else 'Concert ' || i end,
           1000, gen_random_uuid(), now() - i * interval '1 second',
           case when i > 10000 then gen_random_uuid() end,
           case when i > 10000 then now() end
    from generate_series(1, 20000) as i`);
  await db.pool.query('analyze tickets');
});
afterAll(() => db.drop());

const cursor = {
  direction: 'after' as const,
  position: {
    at: new Date(Date.now() - 5_000_000).toISOString().replace('Z', '000Z'),
    id: crypto.randomUUID(),
  },
};

describe('the tickets-for-sale queries on 10,000 tickets', () => {
  it('reads the first page from tickets_for_sale_idx, without a Seq Scan or a sort', async () => {
    const plan = await queryPlan(db.pool, ticketsForSaleQuery(db.db, { count: 25 }));

    expect(plan.indexes).toEqual(['tickets_for_sale_idx']);
    expect(plan.nodeTypes).not.toContain('Seq Scan');
    expect(plan.nodeTypes).not.toContain('Sort');
  });

  it('starts a later page at its cursor in tickets_for_sale_idx, without a Seq Scan or a sort', async () => {
    const plan = await queryPlan(db.pool, ticketsForSaleQuery(db.db, { cursor, count: 25 }));

    expect(plan.indexes).toEqual(['tickets_for_sale_idx']);
    expect(plan.nodeTypes).not.toContain('Seq Scan');
    expect(plan.nodeTypes).not.toContain('Sort');
  });

  it('walks back from a before cursor in the same index', async () => {
    const before = { ...cursor, direction: 'before' as const };

    const plan = await queryPlan(db.pool, ticketsForSaleQuery(db.db, { cursor: before, count: 25 }));

    expect(plan.indexes).toEqual(['tickets_for_sale_idx']);
    expect(plan.nodeTypes).not.toContain('Seq Scan');
  });

  it('searches titles through the trigram index, without a Seq Scan', async () => {
    const plan = await queryPlan(db.pool, ticketsForSaleQuery(db.db, { search: 'jazz', count: 25 }));

    expect(plan.indexes).toContain('tickets_for_sale_title_trgm_idx');
    expect(plan.nodeTypes).not.toContain('Seq Scan');
  });

  it('searches a later page of results through the trigram index too', async () => {
    const plan = await queryPlan(db.pool, ticketsForSaleQuery(db.db, { search: 'jazz', cursor, count: 25 }));

    expect(plan.indexes).toContain('tickets_for_sale_title_trgm_idx');
    expect(plan.nodeTypes).not.toContain('Seq Scan');
  });
});
