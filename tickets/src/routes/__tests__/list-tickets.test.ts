import crypto from 'node:crypto';
import { parseLinks } from '@ticketing/common';
import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { reserveTicket, sellTicket } from '../../domain/reservations';
import { createTicket } from '../../domain/tickets';
import { aTicket, testApp } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;

beforeEach(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterEach(() => db.drop());

/** Lists `n` tickets titled `<prefix> 1..n`, oldest first. */
async function someTickets(n: number, prefix = 'Show') {
  const listed = [];
  for (let i = 1; i <= n; i++) listed.push(await aTicket(db.db, { title: `${prefix} ${i}` }));
  return listed;
}

const ids = (body: { id: string }[]) => body.map((t) => t.id);

/** GET `path` and the targets of its Link header. */
async function getPage(path: string) {
  const res = await request(app).get(path);
  return { res, links: parseLinks(res.headers.link) };
}

/** Every ticket id `path` and the pages after it list, following `rel="next"`. */
async function walk(path: string): Promise<string[]> {
  const seen: string[] = [];
  for (let next: string | undefined = path; next;) {
    const { res, links } = await getPage(next);
    expect(res.status).toBe(200);
    seen.push(...ids(res.body));
    next = links.next;
  }
  return seen;
}

async function reserve(ticketId: string) {
  await db.db.transaction((tx) => reserveTicket(tx, { orderId: crypto.randomUUID(), ticketId }));
}

async function sell(ticketId: string) {
  const orderId = crypto.randomUUID();
  await db.db.transaction((tx) => reserveTicket(tx, { orderId, ticketId }));
  await db.db.transaction((tx) => sellTicket(tx, { orderId, ticketId }));
}

describe('GET /api/tickets', () => {
  it('returns 200 and an empty list when nothing is for sale', async () => {
    const res = await request(app).get('/api/tickets');

    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(res.headers.link).toBeUndefined();
  });

  it('returns the tickets for sale, oldest first, without signing in', async () => {
    const first = await aTicket(db.db, { title: 'First' });
    const second = await aTicket(db.db, { title: 'Second' });
    const third = await aTicket(db.db, { title: 'Third' });

    const res = await request(app).get('/api/tickets');

    expect(res.status).toBe(200);
    expect(res.body).toEqual([first, second, third]);
  });

  it('leaves out reserved and sold tickets', async () => {
    const free = await aTicket(db.db);
    const reserved = await aTicket(db.db);
    const sold = await aTicket(db.db);
    await reserve(reserved.id);
    await sell(sold.id);

    const res = await request(app).get('/api/tickets');

    expect(ids(res.body)).toEqual([free.id]);
  });
});

describe('GET /api/tickets pages', () => {
  it('answers 24 tickets by default and links the next page', async () => {
    const listed = await someTickets(25);

    const { res, links } = await getPage('/api/tickets');

    expect(ids(res.body)).toEqual(ids(listed.slice(0, 24)));
    expect(links.next).toMatch(/^\/api\/tickets\?cursor=[\w-]+$/);
    expect(links.prev).toBeUndefined();
  });

  it('follows rel="next" from the first page to the last, each ticket once, with no link after the last', async () => {
    const listed = await someTickets(7);

    const first = await getPage('/api/tickets?limit=3');
    const second = await getPage(first.links.next!);
    const last = await getPage(second.links.next!);

    expect(ids(first.res.body)).toEqual(ids(listed.slice(0, 3)));
    expect(ids(second.res.body)).toEqual(ids(listed.slice(3, 6)));
    expect(ids(last.res.body)).toEqual(ids(listed.slice(6)));
    expect(last.links.next).toBeUndefined();
  });

  it('keeps limit in the links it gives', async () => {
    await someTickets(3);

    const { links } = await getPage('/api/tickets?limit=2');

    expect(new URL(links.next!, 'http://x').searchParams.get('limit')).toBe('2');
  });

  it('gives no next link when the last page is exactly full', async () => {
    await someTickets(4);

    const first = await getPage('/api/tickets?limit=2');
    const last = await getPage(first.links.next!);

    expect(last.res.body).toHaveLength(2);
    expect(last.links.next).toBeUndefined();
  });

  it('links the previous page from a later page, and the first page has none', async () => {
    const listed = await someTickets(5);

    const first = await getPage('/api/tickets?limit=2');
    const second = await getPage(first.links.next!);
    const back = await getPage(second.links.prev!);

    expect(ids(back.res.body)).toEqual(ids(listed.slice(0, 2)));
    expect(back.links.prev).toBeUndefined();
    expect(back.links.next).toBe(first.links.next);
  });

  it('steps back a whole page from the middle of the list', async () => {
    const listed = await someTickets(7);

    const third = await getPage(
      (await getPage((await getPage('/api/tickets?limit=2')).links.next!)).links.next!,
    );
    const back = await getPage(third.links.prev!);

    expect(ids(back.res.body)).toEqual(ids(listed.slice(2, 4)));
    expect(ids((await getPage(back.links.next!)).res.body)).toEqual(ids(listed.slice(4, 6)));
  });

  it('never repeats or skips a ticket still for sale when tickets are sold or reserved between pages', async () => {
    const listed = await someTickets(10);
    const first = await getPage('/api/tickets?limit=4');

    // Between the pages: tickets on the page already seen and on pages not yet seen go off sale.
    for (const gone of [listed[0]!, listed[3]!, listed[4]!, listed[8]!]) await sell(gone.id);
    await reserve(listed[6]!.id);
    const rest = await walk(first.links.next!);

    const stillForSale = [1, 2, 5, 7, 9].map((i) => listed[i]!.id);
    const seen = [...ids(first.res.body), ...rest];
    expect(rest).toEqual([listed[5]!.id, listed[7]!.id, listed[9]!.id]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(stillForSale));
  });

  it('orders tickets created in one instant by id, so a cursor between them neither repeats nor skips', async () => {
    // One transaction: now() is the same for every row, so created_at ties on all of them.
    const sellerId = crypto.randomUUID();
    await db.db.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) await createTicket(tx, sellerId, { title: `Tie ${i}`, priceCents: 100 });
    });

    const seen = await walk('/api/tickets?limit=2');

    expect(seen).toHaveLength(5);
    expect(seen).toEqual([...seen].sort());
  });
});

describe('GET /api/tickets bad paging', () => {
  it.each([
    ['0', 'zero'],
    ['-1', 'negative'],
    ['101', 'over the maximum'],
    ['ten', 'not a number'],
    ['2.5', 'not whole'],
    ['', 'empty'],
    ['1e2', 'in exponent notation'],
  ])('returns 400 on field limit when limit is %j (%s)', async (limit) => {
    const res = await request(app).get(`/api/tickets?limit=${encodeURIComponent(limit)}`);

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: expect.any(String), field: 'limit' }]);
  });

  it('returns 400 on field limit when limit is given twice', async () => {
    const res = await request(app).get('/api/tickets?limit=2&limit=3');

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: expect.any(String), field: 'limit' }]);
  });

  it('accepts the maximum limit of 100', async () => {
    const res = await request(app).get('/api/tickets?limit=100');

    expect(res.status).toBe(200);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['empty', ''],
    ['base64 of something else', Buffer.from('{"after":"2026-01-01"}').toString('base64url')],
  ])('returns 400 on field cursor when the cursor is %s', async (_what, cursor) => {
    const res = await request(app).get(`/api/tickets?cursor=${encodeURIComponent(cursor)}`);

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: expect.any(String), field: 'cursor' }]);
  });

  it('returns 400 on field cursor when a cursor it gave out was edited or cut short', async () => {
    await someTickets(2);
    const cursor = new URL((await getPage('/api/tickets?limit=1')).links.next!, 'http://x').searchParams.get(
      'cursor',
    )!;
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const edited = [
      cursor.slice(0, 10) + flip(cursor[10]!) + cursor.slice(11),
      cursor.slice(0, -1) + flip(cursor.at(-1)!),
      cursor.slice(0, -4),
      `${cursor}=`,
    ];

    for (const bad of edited) {
      const res = await request(app).get(`/api/tickets?cursor=${encodeURIComponent(bad)}`);
      expect({ bad, status: res.status, body: res.body }).toEqual({
        bad,
        status: 400,
        body: { errors: [{ message: expect.any(String), field: 'cursor' }] },
      });
    }
  });
});

describe('GET /api/tickets?q', () => {
  it('finds tickets by any part of the title, in any case', async () => {
    const jazz = await aTicket(db.db, { title: 'Late Night JAZZ Session' });
    const jazzy = await aTicket(db.db, { title: 'Jazzy Brunch' });
    await aTicket(db.db, { title: 'Rock Opera' });

    const res = await request(app).get('/api/tickets?q=jazz');

    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual([jazz.id, jazzy.id]);
  });

  it('finds nothing for a title no ticket has', async () => {
    await aTicket(db.db, { title: 'Rock Opera' });

    const res = await request(app).get('/api/tickets?q=polka');

    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it('leaves reserved and sold tickets out of the results', async () => {
    const free = await aTicket(db.db, { title: 'Jazz A' });
    const reserved = await aTicket(db.db, { title: 'Jazz B' });
    const sold = await aTicket(db.db, { title: 'Jazz C' });
    await reserve(reserved.id);
    await sell(sold.id);

    const res = await request(app).get('/api/tickets?q=jazz');

    expect(ids(res.body)).toEqual([free.id]);
  });

  it('matches % and _ literally, not as wildcards', async () => {
    const percent = await aTicket(db.db, { title: '100% Live' });
    await aTicket(db.db, { title: '1000 Live' });

    const res = await request(app).get(`/api/tickets?q=${encodeURIComponent('0%')}`);

    expect(ids(res.body)).toEqual([percent.id]);
  });

  it('pages through the results, keeping q and limit in the links', async () => {
    const jazz = await someTickets(5, 'Jazz');
    await someTickets(3, 'Rock');

    const first = await getPage('/api/tickets?q=JAZZ&limit=2');
    const seen = [...ids(first.res.body), ...(await walk(first.links.next!))];

    const next = new URL(first.links.next!, 'http://x').searchParams;
    expect(next.get('q')).toBe('JAZZ');
    expect(next.get('limit')).toBe('2');
    expect(seen).toEqual(ids(jazz));
  });

  it('treats an empty or blank q as no search', async () => {
    const listed = await someTickets(2);

    const res = await request(app).get('/api/tickets?q=%20%20');

    expect(ids(res.body)).toEqual(ids(listed));
  });

  it('returns 400 on field q when q is longer than 100 characters', async () => {
    const res = await request(app).get(`/api/tickets?q=${'a'.repeat(101)}`);

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: 'q must be at most 100 characters', field: 'q' }]);
  });

  it('returns 400 on field q when q holds control characters', async () => {
    const res = await request(app).get('/api/tickets?q=a%00b');

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ message: expect.any(String), field: 'q' }]);
  });
});
