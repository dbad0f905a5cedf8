import crypto from 'node:crypto';
import { IdempotencyKeyJanitor, silentLogger } from '@ticketing/common';
import { createTestDatabase, waitFor, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { aUser, testApp } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  // 20 concurrent requests each hold a connection for their transaction.
  db = await createTestDatabase({ max: 25 });
  app = testApp(db);
});
afterAll(() => db.drop());

function post(body: object, key: string | undefined, cookie: string) {
  const req = request(app).post('/api/tickets').set('Cookie', cookie);
  return (key === undefined ? req : req.set('Idempotency-Key', key)).send(body);
}

async function ticketsOf(userId: string): Promise<{ id: string; title: string }[]> {
  const { rows } = await db.pool.query(
    'select id, title from tickets where user_id = $1 order by created_at',
    [userId],
  );
  return rows;
}

async function createdEventsOf(userId: string): Promise<number> {
  const { rows } = await db.pool.query(
    `select count(*)::int as n from outbox where subject = 'ticket.created' and data->>'userId' = $1`,
    [userId],
  );
  return rows[0].n;
}

describe('POST /api/tickets with an Idempotency-Key', () => {
  it('lists one ticket for a request sent twice, and replays the first answer byte for byte', async () => {
    const seller = aUser();
    const key = crypto.randomUUID();

    const first = await post({ title: 'Concert', price: 10 }, key, seller.cookie);
    const second = await post({ title: 'Concert', price: 10 }, key, seller.cookie);

    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.text).toBe(first.text);
    expect(await ticketsOf(seller.id)).toEqual([{ id: first.body.id, title: 'Concert' }]);
    expect(await createdEventsOf(seller.id)).toBe(1);
  });

  it('treats the same body with its fields in another order as the same request', async () => {
    const seller = aUser();
    const key = crypto.randomUUID();

    const first = await post({ title: 'Concert', price: 10 }, key, seller.cookie);
    const second = await post({ price: 10, title: 'Concert' }, key, seller.cookie);

    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(await ticketsOf(seller.id)).toHaveLength(1);
  });

  it('lists exactly one ticket for 20 concurrent requests with one key; the others get 409 or the replay', async () => {
    const seller = aUser();
    const key = crypto.randomUUID();

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post({ title: 'Concert', price: 10 }, key, seller.cookie)),
    );

    const listed = await ticketsOf(seller.id);
    expect(listed).toHaveLength(1);
    expect(await createdEventsOf(seller.id)).toBe(1);
    for (const res of answers) {
      if (res.status === 201) {
        expect(res.body.id).toBe(listed[0]!.id);
      } else {
        expect(res.status).toBe(409);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.body).toEqual({
          errors: [{ message: 'A request with this Idempotency-Key is still in progress; retry shortly' }],
        });
      }
    }
    expect(answers.filter((r) => r.status === 201 && !r.headers['idempotent-replayed'])).toHaveLength(1);
  });

  it('answers 409 with Retry-After while the first request with the key is running, then replays its answer', async () => {
    const seller = aUser();
    const key = crypto.randomUUID();
    // Another transaction holds the table, so the first request waits inside its own, key held.
    const blocker = await db.pool.connect();
    await blocker.query('begin; lock table tickets in share mode');
    const first = post({ title: 'Concert', price: 10 }, key, seller.cookie).then((res) => res);
    await waitFor(async () => (await db.pool.query('select 1 from pg_locks where not granted')).rowCount, {
      what: 'the first request to wait for the table',
    });

    const during = await post({ title: 'Concert', price: 10 }, key, seller.cookie);
    await blocker.query('commit');
    blocker.release();
    const done = await first;
    const after = await post({ title: 'Concert', price: 10 }, key, seller.cookie);

    expect(during.status).toBe(409);
    expect(during.headers['retry-after']).toBe('1');
    expect(during.body).toEqual({
      errors: [{ message: 'A request with this Idempotency-Key is still in progress; retry shortly' }],
    });
    expect(done.status).toBe(201);
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(after.text).toBe(done.text);
    expect(await ticketsOf(seller.id)).toHaveLength(1);
  });

  it('returns 422 for the same key with a different body, and lists nothing more', async () => {
    const seller = aUser();
    const key = crypto.randomUUID();
    await post({ title: 'Concert', price: 10 }, key, seller.cookie);

    const res = await post({ title: 'Concert', price: 11 }, key, seller.cookie);

    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      errors: [
        {
          message: 'This Idempotency-Key was already used for a different request',
          field: 'Idempotency-Key',
        },
      ],
    });
    expect(await ticketsOf(seller.id)).toHaveLength(1);
  });

  it('keeps two users with the same key apart', async () => {
    const [alice, bob] = [aUser(), aUser()];
    const key = 'same-key-for-both';

    const a = await post({ title: 'Alice', price: 10 }, key, alice.cookie);
    const b = await post({ title: 'Bob', price: 10 }, key, bob.cookie);

    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(await ticketsOf(alice.id)).toEqual([{ id: a.body.id, title: 'Alice' }]);
    expect(await ticketsOf(bob.id)).toEqual([{ id: b.body.id, title: 'Bob' }]);
  });

  it('does not store a 400, so a corrected retry with the same key lists the ticket', async () => {
    const seller = aUser();
    const key = crypto.randomUUID();

    const bad = await post({ title: '', price: 10 }, key, seller.cookie);
    const corrected = await post({ title: 'Concert', price: 10 }, key, seller.cookie);

    expect(bad.status).toBe(400);
    expect(corrected.status).toBe(201);
    expect(corrected.headers['idempotent-replayed']).toBeUndefined();
    expect(await ticketsOf(seller.id)).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not printable ASCII', 'clé'],
  ])('returns 400 on the field Idempotency-Key when the key is %s, and lists nothing', async (_, key) => {
    const seller = aUser();

    const res = await post({ title: 'Concert', price: 10 }, key, seller.cookie);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [
        { message: 'Idempotency-Key must be 1 to 255 printable ASCII characters', field: 'Idempotency-Key' },
      ],
    });
    expect(await ticketsOf(seller.id)).toHaveLength(0);
  });

  it('lists a new ticket for every request without a key', async () => {
    const seller = aUser();

    await post({ title: 'Concert', price: 10 }, undefined, seller.cookie);
    await post({ title: 'Concert', price: 10 }, undefined, seller.cookie);

    expect(await ticketsOf(seller.id)).toHaveLength(2);
  });

  it('remembers a key for IDEMPOTENCY_KEY_RETENTION_HOURS (24 by default)', async () => {
    const seller = aUser();
    const key = crypto.randomUUID();

    await post({ title: 'Concert', price: 10 }, key, seller.cookie);

    const { rows } = await db.pool.query(
      `select extract(epoch from expires_at - created_at)::int as seconds from idempotency_keys
         where user_id = $1 and key = $2`,
      [seller.id, key],
    );
    expect(rows).toEqual([{ seconds: 24 * 3600 }]);
  });

  it('forgets a key once its retention has passed: the same request lists a new ticket', async () => {
    const seller = aUser();
    const key = crypto.randomUUID();
    const first = await post({ title: 'Concert', price: 10 }, key, seller.cookie);
    // The retention passes (moved, not waited for).
    await db.pool.query(
      `update idempotency_keys set expires_at = now() - interval '1 second' where key = $1`,
      [key],
    );

    const again = await post({ title: 'Concert', price: 10 }, key, seller.cookie);

    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.body.id).not.toBe(first.body.id);
    expect(await ticketsOf(seller.id)).toHaveLength(2);
  });

  it('has its expired keys deleted by the janitor, and only those', async () => {
    const seller = aUser();
    const [expired, live] = [crypto.randomUUID(), crypto.randomUUID()];
    await post({ title: 'Old', price: 10 }, expired, seller.cookie);
    await post({ title: 'New', price: 10 }, live, seller.cookie);
    await db.pool.query(
      `update idempotency_keys set expires_at = now() - interval '1 second' where key = $1`,
      [expired],
    );

    await new IdempotencyKeyJanitor({ pool: db.pool, logger: silentLogger() }).cleanup();

    const { rows } = await db.pool.query('select key from idempotency_keys where user_id = $1', [seller.id]);
    expect(rows).toEqual([{ key: live }]);
  });
});
