import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { connectNats, silentLogger } from '@ticketing/common';
import {
  createTestDatabase,
  publishTestEvent,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@ticketing/common/testing';
import { JWT_KEY, aUser, orderCreatedData } from './helpers';

const serviceDir = path.join(__dirname, '..', '..');

/** Starts src/main.ts with exactly `env` (plus PATH), collecting its output. */
function startMain(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: serviceDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}

describe('src/main.ts', () => {
  it('exits non-zero naming JWT_KEY when it is missing', async () => {
    const main = startMain({
      DATABASE_URL: 'postgres://127.0.0.1:1/tickets',
      NATS_URL: 'nats://127.0.0.1:1',
    });

    const code = await main.exited;

    expect(code).not.toBe(0);
    expect(main.output.stderr).toMatch(/JWT_KEY is required/);
  });

  it('exits non-zero naming NATS_URL when it is missing', async () => {
    const main = startMain({ DATABASE_URL: 'postgres://127.0.0.1:1/tickets', JWT_KEY });

    const code = await main.exited;

    expect(code).not.toBe(0);
    expect(main.output.stderr).toMatch(/NATS_URL is required/);
  });

  describe('with a database and NATS', () => {
    let db: TestDatabase;
    let nats: NatsServerHandle;

    beforeAll(async () => {
      [db, nats] = await Promise.all([createTestDatabase(), startNatsServer()]);
    });
    afterAll(async () => {
      await nats.stop();
      await db.drop();
    });

    it('serves, publishes through the relay, consumes order events, and exits 0 on SIGTERM', async () => {
      const main = startMain({ DATABASE_URL: db.url, NATS_URL: nats.url, JWT_KEY, PORT: '0' });
      try {
        const port = await waitFor(() => /"port":(\d+)/.exec(main.output.stdout)?.[1], {
          what: 'the service to listen',
        });
        const base = `http://127.0.0.1:${port}`;
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

        const nc = await connectNats({ servers: nats.url, logger: silentLogger() });
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
        main.child.kill('SIGTERM');
      }

      expect(await main.exited).toBe(0);
    });
  });
});
