import type { JetStreamClient } from '@nats-io/jetstream';
import { silentLogger } from '../../http/logger';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database';
import { InboxJanitor } from '../inbox-janitor';
import { OutboxRelay } from '../relay';

let db: TestDatabase;

beforeEach(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  await db.drop();
});

const HOUR = 3600_000;

/** Records an applied event in the inbox, `hoursAgo` hours ago; returns its id. */
async function inboxRow(hoursAgo: number): Promise<string> {
  const id = crypto.randomUUID();
  await db.pool.query(
    `insert into inbox (consumer, event_id, subject, processed_at)
       values ('orders:ticket.created', $1, 'ticket.created', now() - make_interval(hours => $2))`,
    [id, hoursAgo],
  );
  return id;
}

/** Records an event published `hoursAgo` hours ago in the outbox; returns its id. */
async function publishedOutboxRow(hoursAgo: number): Promise<string> {
  const id = crypto.randomUUID();
  await db.pool.query(
    `insert into outbox (id, subject, data, published_at)
       values ($1, 'ticket.created', '{}', now() - make_interval(hours => $2))`,
    [id, hoursAgo],
  );
  return id;
}

async function ids(table: 'inbox' | 'outbox'): Promise<string[]> {
  const column = table === 'inbox' ? 'event_id' : 'id';
  const r = await db.pool.query<{ id: string }>(`select ${column}::text as id from ${table}`);
  return r.rows.map((row) => row.id).sort();
}

describe('inbox retention', () => {
  it('forgets applied events older than the retention and keeps the recent ones', async () => {
    await inboxRow(800);
    const recent = await inboxRow(1);
    const janitor = new InboxJanitor({ pool: db.pool, logger: silentLogger(), retentionMs: 720 * HOUR });

    const deleted = await janitor.cleanup();

    expect(deleted).toBe(1);
    expect(await ids('inbox')).toEqual([recent]);
  });

  it('deletes in batches until every expired row is gone', async () => {
    for (let i = 0; i < 7; i++) await inboxRow(48);
    const janitor = new InboxJanitor({
      pool: db.pool,
      logger: silentLogger(),
      retentionMs: 24 * HOUR,
      batchSize: 3,
    });

    expect(await janitor.cleanup()).toBe(7);
    expect(await ids('inbox')).toEqual([]);
  });

  it('keeps every row when the retention is 0', async () => {
    const old = await inboxRow(100_000);
    const janitor = new InboxJanitor({ pool: db.pool, logger: silentLogger(), retentionMs: 0 });

    expect(await janitor.cleanup()).toBe(0);
    expect(await ids('inbox')).toEqual([old]);
  });

  it('sweeps on start, then stops', async () => {
    await inboxRow(48);
    const janitor = new InboxJanitor({ pool: db.pool, logger: silentLogger(), retentionMs: HOUR });

    janitor.start();
    await janitor.stop();

    expect(await ids('inbox')).toEqual([]);
  });
});

describe('outbox retention', () => {
  it('the relay deletes its published rows past retention and never touches the inbox', async () => {
    await publishedOutboxRow(200);
    const recentPublished = await publishedOutboxRow(1);
    const oldApplied = await inboxRow(100_000);
    // cleanup() never publishes, so the relay needs no live connection here.
    const relay = new OutboxRelay({
      pool: db.pool,
      js: {} as JetStreamClient,
      logger: silentLogger(),
      retentionMs: 168 * HOUR,
    });

    expect(await relay.cleanup()).toBe(1);
    expect(await ids('outbox')).toEqual([recentPublished]);
    expect(await ids('inbox')).toEqual([oldApplied]);
  });
});
