import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '../../testing/nats-server';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database';
import type { OutboxRelay } from '../relay';
import { connectWithStream } from './helpers';

/** What a relay test works with; filled in before each test. */
export interface RelayFixture {
  nats: NatsServerHandle;
  db: TestDatabase;
  /** A connection with the event stream in place. */
  nc: NatsConnection;
  /** Relays the test started: stopped after it. */
  relays: OutboxRelay[];
  /** Outbox rows not yet marked published. */
  unpublishedCount(): Promise<number>;
}

/**
 * Gives every test of the file its own nats-server and database (a test may halt the server or
 * kill a session), and stops the test's relays before they are removed.
 */
export function useRelayFixture(): RelayFixture {
  const fixture = {
    relays: [] as OutboxRelay[],
    async unpublishedCount(): Promise<number> {
      const r = await fixture.db.pool.query<{ n: number }>(
        'select count(*)::int as n from outbox where published_at is null',
      );
      return r.rows[0]!.n;
    },
  } as RelayFixture;

  beforeEach(async () => {
    fixture.nats = await startNatsServer();
    fixture.db = await createTestDatabase();
    ({ nc: fixture.nc } = await connectWithStream(fixture.nats.url));
  });

  afterEach(async () => {
    await Promise.all(fixture.relays.splice(0).map((r) => r.stop()));
    await fixture.nc.close();
    await fixture.db.drop();
    await fixture.nats.stop();
  });

  return fixture;
}
