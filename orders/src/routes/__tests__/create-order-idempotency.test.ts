import crypto from 'node:crypto';
import { createTestDatabase, waitFor, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { addTicket, newUser, testApp, type TestApp } from '../../__tests__/helpers';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  // 20 concurrent requests each hold a connection for their transaction.
  db = await createTestDatabase({ max: 25 });
  app = testApp(db);
});
afterAll(() => db.drop());

function post(ticketId: string, key: string, cookie: string) {
  return request(app)
    .post('/api/orders')
    .set('Cookie', cookie)
    .set('Idempotency-Key', key)
    .send({ ticketId });
}

async function ordersOf(userId: string): Promise<{ id: string; ticket_id: string }[]> {
  const { rows } = await db.pool.query(
    'select id, ticket_id from orders where user_id = $1 order by created_at',
    [userId],
  );
  return rows;
}

async function createdEventsOf(userId: string): Promise<number> {
  const { rows } = await db.pool.query(
    `select count(*)::int as n from outbox where subject = 'order.created' and data->>'userId' = $1`,
    [userId],
  );
  return rows[0].n;
}

describe('POST /api/orders with an Idempotency-Key', () => {
  it('places one order for a request sent twice, and replays its 201 instead of "Ticket is already reserved"', async () => {
    const buyer = newUser();
    const ticket = await addTicket(db);
    const key = crypto.randomUUID();

    const first = await post(ticket.id, key, buyer.cookie);
    const second = await post(ticket.id, key, buyer.cookie);

    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.text).toBe(first.text);
    expect(await ordersOf(buyer.id)).toEqual([{ id: first.body.id, ticket_id: ticket.id }]);
    expect(await createdEventsOf(buyer.id)).toBe(1);
  });

  it('places exactly one order for 20 concurrent requests with one key; the others get 409 or the replay', async () => {
    const buyer = newUser();
    const ticket = await addTicket(db);
    const key = crypto.randomUUID();

    const answers = await Promise.all(Array.from({ length: 20 }, () => post(ticket.id, key, buyer.cookie)));

    const placed = await ordersOf(buyer.id);
    expect(placed).toHaveLength(1);
    expect(await createdEventsOf(buyer.id)).toBe(1);
    for (const res of answers) {
      if (res.status === 201) {
        expect(res.body.id).toBe(placed[0]!.id);
      } else {
        expect(res.status).toBe(409);
        expect(res.body).toEqual({
          errors: [{ message: 'A request with this Idempotency-Key is still in progress; retry shortly' }],
        });
      }
    }
    expect(answers.filter((r) => r.status === 201 && !r.headers['idempotent-replayed'])).toHaveLength(1);
  });

  it('answers 409 while the first request with the key is running, then replays its 201', async () => {
    const buyer = newUser();
    const ticket = await addTicket(db);
    const key = crypto.randomUUID();
    // Another buyer's reservation of the ticket, not yet committed: the first request waits for it.
    const rival = await db.pool.connect();
    await rival.query('begin');
    await rival.query(
      `insert into orders (id, user_id, ticket_id, status, expires_at)
         values ($1, $2, $3, 'created', now() + interval '1 minute')`,
      [crypto.randomUUID(), crypto.randomUUID(), ticket.id],
    );
    const first = post(ticket.id, key, buyer.cookie).then((res) => res);
    await waitFor(async () => (await db.pool.query('select 1 from pg_locks where not granted')).rowCount, {
      what: 'the first request to wait for the rival reservation',
    });

    const during = await post(ticket.id, key, buyer.cookie);
    await rival.query('rollback');
    rival.release();
    const done = await first;
    const after = await post(ticket.id, key, buyer.cookie);

    expect(during.status).toBe(409);
    expect(during.body).toEqual({
      errors: [{ message: 'A request with this Idempotency-Key is still in progress; retry shortly' }],
    });
    expect(done.status).toBe(201);
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(after.text).toBe(done.text);
    expect(await ordersOf(buyer.id)).toHaveLength(1);
  });

  it('returns 422 for the same key with another ticket, and places no second order', async () => {
    const buyer = newUser();
    const [first, other] = [await addTicket(db), await addTicket(db)];
    const key = crypto.randomUUID();
    await post(first.id, key, buyer.cookie);

    const res = await post(other.id, key, buyer.cookie);

    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      errors: [
        {
          message: 'This Idempotency-Key was already used for a different request',
          field: 'Idempotency-Key',
        },
      ],
    });
    expect(await ordersOf(buyer.id)).toHaveLength(1);
  });

  it('keeps two buyers with the same key apart', async () => {
    const [alice, bob] = [newUser(), newUser()];
    const [t1, t2] = [await addTicket(db), await addTicket(db)];
    const key = 'same-key-for-both';

    const a = await post(t1.id, key, alice.cookie);
    const b = await post(t2.id, key, bob.cookie);

    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(await ordersOf(alice.id)).toEqual([{ id: a.body.id, ticket_id: t1.id }]);
    expect(await ordersOf(bob.id)).toEqual([{ id: b.body.id, ticket_id: t2.id }]);
  });

  it('does not store a 400, so a corrected retry with the same key places the order', async () => {
    const buyer = newUser();
    const ticket = await addTicket(db);
    const key = crypto.randomUUID();

    const bad = await post('not-an-id', key, buyer.cookie);
    const corrected = await post(ticket.id, key, buyer.cookie);

    expect(bad.status).toBe(400);
    expect(corrected.status).toBe(201);
    expect(corrected.headers['idempotent-replayed']).toBeUndefined();
    expect(await ordersOf(buyer.id)).toHaveLength(1);
  });

  it('does not store a 404 for a ticket orders does not know yet: the same request succeeds once it arrives', async () => {
    const buyer = newUser();
    const ticketId = crypto.randomUUID();
    const key = crypto.randomUUID();

    const early = await post(ticketId, key, buyer.cookie);
    await addTicket(db, { id: ticketId });
    const later = await post(ticketId, key, buyer.cookie);

    expect(early.status).toBe(404);
    expect(later.status).toBe(201);
    expect(await ordersOf(buyer.id)).toHaveLength(1);
  });

  it('does not replay another buyer\'s order: the same key from a second buyer gets "Ticket is already reserved"', async () => {
    const [alice, bob] = [newUser(), newUser()];
    const ticket = await addTicket(db);
    const key = crypto.randomUUID();
    await post(ticket.id, key, alice.cookie);

    const res = await post(ticket.id, key, bob.cookie);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Ticket is already reserved', field: 'ticketId' }] });
  });

  it('forgets a key once its retention has passed: the same request is judged anew', async () => {
    const buyer = newUser();
    const ticket = await addTicket(db);
    const key = crypto.randomUUID();
    await post(ticket.id, key, buyer.cookie);
    // The retention passes (moved, not waited for).
    await db.pool.query(
      `update idempotency_keys set expires_at = now() - interval '1 second' where key = $1`,
      [key],
    );

    const again = await post(ticket.id, key, buyer.cookie);

    // The buyer's own live order holds the ticket: without the stored answer this is a new reservation.
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ errors: [{ message: 'Ticket is already reserved', field: 'ticketId' }] });
    expect(await ordersOf(buyer.id)).toHaveLength(1);
  });
});
