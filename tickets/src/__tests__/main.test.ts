import crypto from 'node:crypto';
import path from 'node:path';
import {
  publishTestEvent,
  startMain,
  startMessagingFixture,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@ticketing/common/testing';
import { JWT_KEY, aUser, orderCreatedData } from './helpers';

const serviceDir = path.join(__dirname, '..', '..');

describe('src/main.ts', () => {
  it('exits non-zero naming JWT_KEY when it is missing', async () => {
    const main = startMain(serviceDir, {
      DATABASE_URL: 'postgres://127.0.0.1:1/tickets',
      NATS_URL: 'nats://127.0.0.1:1',
    });

    const code = await main.exited;

    expect(code).not.toBe(0);
    expect(main.output.stderr).toMatch(/JWT_KEY is required/);
  });

  it('exits non-zero naming JWT_KEY when it is shorter than 32 bytes', async () => {
    const main = startMain(serviceDir, {
      DATABASE_URL: 'postgres://127.0.0.1:1/tickets',
      NATS_URL: 'nats://127.0.0.1:1',
      JWT_KEY: 'short',
    });

    expect(await main.exited).not.toBe(0);
    expect(main.output.stderr).toMatch(
      /^tickets: Invalid configuration: JWT_KEY must be at least 32 bytes long$/m,
    );
  });

  it('exits non-zero naming NATS_URL when it is missing', async () => {
    const main = startMain(serviceDir, { DATABASE_URL: 'postgres://127.0.0.1:1/tickets', JWT_KEY });

    const code = await main.exited;

    expect(code).not.toBe(0);
    expect(main.output.stderr).toMatch(/NATS_URL is required/);
  });

  describe('with a database and NATS', () => {
    let db: TestDatabase;
    let nats: NatsServerHandle;
    let teardown: () => Promise<void>;

    beforeAll(async () => {
      ({ db, nats, stop: teardown } = await startMessagingFixture('tickets'));
    });
    afterAll(() => teardown?.());

    it('serves, publishes through the relay, consumes order events, and exits 0 on SIGTERM', async () => {
      const main = startMain(serviceDir, {
        DATABASE_URL: db.url,
        ...nats.env('tickets'),
        JWT_KEY,
        PORT: '0',
      });
      try {
        const base = await main.url();
        expect((await fetch(`${base}/readyz`)).status).toBe(200);

        const seller = aUser();
        const created = await fetch(`${base}/api/tickets`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Cookie: seller.cookie },
          body: JSON.stringify({ title: 'Concert', price: 25 }),
        });
        const ticket = (await created.json()) as { id: string };
        expect(created.status).toBe(201);
        await waitFor(
          async () => {
            const { rows } = await db.pool.query('select published_at from outbox where data->>$1 = $2', [
              'id',
              ticket.id,
            ]);
            return rows[0]?.published_at;
          },
          { what: 'ticket.created to be published' },
        );

        const nc = await nats.connect('orders');
        const orderId = crypto.randomUUID();
        await publishTestEvent(nc, 'order.created', orderCreatedData(ticket.id, orderId));
        await nc.close();
        await waitFor(
          async () => {
            const res = await fetch(`${base}/api/tickets/${ticket.id}`);
            return ((await res.json()) as { orderId: string | null }).orderId === orderId;
          },
          { what: 'the ticket to be reserved' },
        );
      } finally {
        void main.stop();
      }

      expect(await main.exited).toBe(0);
    });
  });
});
