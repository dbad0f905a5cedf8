import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Subject } from '../../events/catalog';
import { startTestConsumer, type TestConsumer, type TestConsumerOptions } from '../../testing/events';
import { startNatsServer, type NatsServerHandle } from '../../testing/nats-server';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database';
import { defineConsumer, type ConsumerDefinition } from '../consumer';
import { STREAM_NAME } from '../nats';
import { CREATE_REPLICA, recordApplication } from './fixtures/replica';
import { connectWithStream, ticketData } from './helpers';

/** What every consumer test works against; fresh for each test. */
export interface ConsumerTestBed {
  nats: NatsServerHandle;
  /** The test's database, with a `replica` table standing in for a service's own state. */
  db: TestDatabase;
  /** A connection (the test user) with the event stream in place. */
  nc: NatsConnection;
  /** Awaits a started test consumer and stops it after the test. */
  start<T extends Pick<TestConsumer<never>, 'stop'>>(p: Promise<T>): Promise<T>;
  /** Starts `definition` as the service `svc` against this bed (options may name another database), stopped after the test. */
  consume<S extends Subject>(
    definition: ConsumerDefinition<S>,
    options?: Partial<Omit<TestConsumerOptions, 'service' | 'natsUrl'>>,
  ): Promise<TestConsumer<S>>;
  /** Stops the consumers started so far (a test that must close something they use first). */
  stopConsumers(): Promise<void>;
}

/**
 * Gives each test of the calling file its own nats-server, database (with `replica`) and
 * connection, and stops what it started afterwards. Call it at the top level of a test file; the
 * fields are set from `beforeEach` on.
 */
export function useConsumerTestBed(): ConsumerTestBed {
  const running: Pick<TestConsumer<never>, 'stop'>[] = [];
  const bed = {
    async start(p) {
      const c = await p;
      running.push(c);
      return c;
    },
    consume(definition, options = {}) {
      return bed.start(
        startTestConsumer(definition, { service: 'svc', natsUrl: bed.nats.url, db: bed.db.db, ...options }),
      );
    },
    async stopConsumers() {
      await Promise.all(running.splice(0).map((c) => c.stop()));
    },
  } as ConsumerTestBed;

  beforeEach(async () => {
    bed.nats = await startNatsServer();
    bed.db = await createTestDatabase();
    ({ nc: bed.nc } = await connectWithStream(bed.nats.url));
    await bed.db.pool.query(CREATE_REPLICA);
  });

  afterEach(async () => {
    await bed.stopConsumers();
    await bed.nc.close();
    await bed.db.drop();
    await bed.nats.stop();
  });

  return bed;
}

/** Counts applications per ticket.created event in `replica`. */
export const countingConsumer = defineConsumer('ticket.created', (tx, event) =>
  recordApplication(tx, event.data.id),
);

/** The applications `replica` holds for `id`, in the order they were made. */
export async function appliedTo(db: TestDatabase, id: string): Promise<number[]> {
  const r = await db.pool.query<{ applied: number[] }>('select applied from replica where id = $1', [id]);
  return r.rows[0]?.applied ?? [];
}

/** The data of a ticket.updated event at `version` of the ticket `id`, not reserved. */
export function ticketUpdate(id: string, version: number) {
  return { ...ticketData(version, { id, version }), orderId: null };
}

/**
 * How many deliveries the server has made to the durable consumer `durable`, redeliveries
 * included (JetStream's consumer sequence, which every delivery advances).
 */
export async function deliveriesTo(nc: NatsConnection, durable: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.consumers.info(STREAM_NAME, durable)).delivered.consumer_seq;
}
