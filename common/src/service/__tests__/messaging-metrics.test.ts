import { jetstream } from '@nats-io/jetstream';
import request from 'supertest';
import { silentLogger } from '../../http/logger';
import { defineConsumer } from '../../messaging/consumer';
import { NATS_TEST_USER, startNatsServer, type NatsServerHandle } from '../../testing/nats-server';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database';
import { waitFor } from '../../testing/wait-for';
import type { ServiceDeclaration } from '../../services/catalog';
import { startService, type RunningService } from '../run-service';
import { demoService } from './fixtures/demo-service';

/** The demo consumes what it publishes here, so one service shows both sides of the bus. */
const catalog: Record<string, ServiceDeclaration> = {
  demo: { publishes: ['expiration.complete'], consumes: ['expiration.complete'] },
};

let nats: NatsServerHandle;
let db: TestDatabase;
let service: RunningService | undefined;

beforeEach(async () => {
  nats = await startNatsServer();
  db = await createTestDatabase();
});

afterEach(async () => {
  await service?.stop();
  service = undefined;
  await db.drop();
  await nats.stop();
});

async function start(consumerName: string): Promise<RunningService> {
  service = await startService(
    {
      ...demoService,
      consumers: [defineConsumer('expiration.complete', async () => {}, { name: consumerName })],
    },
    {
      env: {
        DATABASE_URL: db.url,
        ...nats.env(NATS_TEST_USER),
        DEMO_KEY: 'x',
        PORT: '0',
        METRICS_POLL_INTERVAL_MS: '100',
      },
      logger: silentLogger(),
      catalog,
    },
  );
  return service;
}

/** The value of one sample on the service's /metrics, or undefined when it is not there. */
async function sample(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const res = await request(service!.url).get('/metrics').expect(200);
  for (const line of res.text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function postDemo(svc: RunningService): Promise<void> {
  await request(svc.url).post('/api/demo').expect(201);
}

describe('/metrics of a service on the bus', () => {
  it('shows the outbox backlog rising while nats-server is down and falling to 0 once it is back', async () => {
    const svc = await start('backlog');
    expect(await sample('outbox_backlog_events')).toBe(0);

    await nats.halt();
    await postDemo(svc);
    await waitFor(async () => (await sample('outbox_backlog_events'))! >= 1, { what: 'a backlog of 1' });
    await postDemo(svc);
    await postDemo(svc);
    await waitFor(async () => (await sample('outbox_backlog_events'))! >= 3, { what: 'a backlog of 3' });
    await waitFor(async () => (await sample('outbox_oldest_unpublished_age_seconds'))! > 0, {
      what: 'the oldest row aging',
    });

    await nats.restart();
    await waitFor(async () => (await sample('outbox_backlog_events')) === 0, {
      timeoutMs: 60_000,
      what: 'the backlog drained',
    });
    expect(await sample('outbox_oldest_unpublished_age_seconds')).toBe(0);
    expect(await sample('outbox_events_published_total')).toBe(3);
  }, 90_000);

  it('counts a dead letter under its consumer', async () => {
    await start('poison');
    expect(await sample('dead_letters_total', { consumer: 'demo:poison' })).toBe(0);

    const nc = await nats.connect();
    try {
      await jetstream(nc).publish('expiration.complete', 'not json');
    } finally {
      await nc.close();
    }

    await waitFor(async () => (await sample('dead_letters_total', { consumer: 'demo:poison' })) === 1, {
      what: 'the dead letter counted',
    });
    const stored = await db.pool.query('select count(*)::int as n from dead_letters');
    expect(stored.rows[0].n).toBe(1);
  });

  it("times a consumer's handler and shows what waits in its JetStream consumer", async () => {
    const svc = await start('lag');
    await postDemo(svc);
    await waitFor(
      async () =>
        (await sample('event_handler_duration_seconds_count', { consumer: 'demo:lag', outcome: 'ok' })) === 1,
      { what: 'the handled event timed' },
    );

    await svc.consumers[0]!.stop();
    await postDemo(svc);
    await postDemo(svc);

    await waitFor(
      async () => ((await sample('nats_consumer_pending_messages', { consumer: 'demo:lag' })) ?? 0) >= 2,
      { what: 'two messages pending' },
    );
    expect(await sample('nats_consumer_pending_messages', { consumer: 'demo:lag' })).toBe(2);
  });
});
