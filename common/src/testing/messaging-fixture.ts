import type { Subject } from '../events/catalog';
import type { ConsumerDefinition } from '../messaging/consumer';
import { startTestConsumer, type TestConsumer } from './events';
import { startNatsServer, type NatsServerHandle } from './nats-server';
import { createTestDatabase, type TestDatabase } from './test-database';

/** A consumer definition of any one subject. */
type AnyConsumerDefinition = { [S in Subject]: ConsumerDefinition<S> }[Subject];
type Definitions = Record<string, AnyConsumerDefinition>;

/** The running test consumer of each definition given to `startMessagingFixture`, under the same key. */
export type TestConsumers<C extends Definitions> = {
  [K in keyof C]: C[K] extends ConsumerDefinition<infer S> ? TestConsumer<S> : never;
};

/** A test file's own database and nats-server, with the service's consumers running against them. */
export interface MessagingFixture<C extends Definitions> {
  db: TestDatabase;
  nats: NatsServerHandle;
  consumers: TestConsumers<C>;
  /** Stops the consumers (last started first), then nats-server, then drops the database. */
  stop(): Promise<void>;
}

/**
 * Creates a test database and starts a nats-server, then starts each consumer in `consumers` (in
 * order) as `service` would. If any step fails, whatever had started is stopped before rethrowing.
 */
export async function startMessagingFixture<C extends Definitions = Record<never, never>>(
  service: string,
  consumers: C = {} as C,
  options: { maxDeliveries?: number; dbConnections?: number } = {},
): Promise<MessagingFixture<C>> {
  const started: TestConsumer<Subject>[] = [];
  const [dbResult, natsResult] = await Promise.allSettled([
    createTestDatabase({ max: options.dbConnections }),
    startNatsServer(),
  ]);
  const db = dbResult.status === 'fulfilled' ? dbResult.value : undefined;
  const nats = natsResult.status === 'fulfilled' ? natsResult.value : undefined;

  async function stop(): Promise<void> {
    for (const tc of started.splice(0).reverse()) await tc.stop();
    await nats?.stop();
    await db?.drop();
  }

  try {
    if (!db || !nats)
      throw dbResult.status === 'rejected' ? dbResult.reason : (natsResult as PromiseRejectedResult).reason;
    const running: Record<string, TestConsumer<Subject>> = {};
    for (const [key, definition] of Object.entries(consumers)) {
      const tc = await startTestConsumer(definition as unknown as ConsumerDefinition<Subject>, {
        service,
        natsUrl: nats.url,
        db: db.db,
        maxDeliveries: options.maxDeliveries,
      });
      started.push(tc);
      running[key] = tc;
    }
    return { db, nats, consumers: running as TestConsumers<C>, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
