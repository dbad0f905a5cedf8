import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import request from 'supertest';
import { ConfigError, idempotencyConfigSpec } from '../../config/config';
import { silentLogger } from '../../http/logger';
import { NATS_TEST_USER, startNatsServer, type NatsServerHandle } from '../../testing/nats-server';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database';
import { waitFor } from '../../testing/wait-for';
import type { AppDeps } from '../run-service';
import { defineConsumer, durableName } from '../../messaging/consumer';
import { STREAM_NAME } from '../../messaging/nats';
import { ServiceDefinitionError, startService, type RunningService } from '../run-service';
import { HTTP_CONNECTIONS, RELAY_CONNECTIONS } from '../pool-size';
import { publishTestEvent } from '../../testing/events';
import { demoCatalog, demoConfigSpec, demoService } from './fixtures/demo-service';

let nats: NatsServerHandle;
let db: TestDatabase;

/** The env every demo service starts with here, plus `extra`. */
const demoEnv = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: db.url,
  ...nats.env(NATS_TEST_USER),
  DEMO_KEY: 'x',
  PORT: '0',
  ...extra,
});

beforeAll(async () => {
  nats = await startNatsServer();
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
  await nats.stop();
});

function run(env: Record<string, string | undefined>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'fixtures/demo-main.ts')],
      {
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('runService', () => {
  it('exits non-zero with one line naming a missing variable', async () => {
    const { code, stderr } = await run({ DATABASE_URL: db.url, ...nats.env(NATS_TEST_USER) });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('demo: Invalid configuration: DEMO_KEY is required (a required secret)');
  });

  it('exits non-zero with one line naming a rule across variables, before connecting anywhere', async () => {
    const { code, stderr } = await run({
      DATABASE_URL: 'postgres://127.0.0.1:1/nowhere',
      NATS_URL: 'nats://127.0.0.1:1',
      DEMO_KEY: 'insecure',
      DEMO_STRICT: 'true',
    });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      'demo: Invalid configuration: DEMO_KEY must not be "insecure" when DEMO_STRICT is set',
    );
  });

  it('starts, serves health, readiness and metrics, and publishes what a route commits', async () => {
    const service: RunningService = await startService(demoService, {
      env: demoEnv(),
      logger: silentLogger(),
      catalog: demoCatalog,
    });
    try {
      await request(service.url).get('/healthz').expect(200, { status: 'ok' });
      await request(service.url).get('/readyz').expect(200);
      const res = await request(service.url).post('/api/demo').expect(201);
      await waitFor(async () => {
        const r = await db.pool.query('select published_at from outbox where id = $1', [res.body.id]);
        return r.rows[0]?.published_at;
      });
      const metrics = await request(service.url).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/outbox_events_published_total\{service="demo"\} 1/);
    } finally {
      await service.stop();
    }
  });

  it('deletes expired Idempotency-Keys when the service has IDEMPOTENCY_KEY_RETENTION_HOURS in its config', async () => {
    const userId = crypto.randomUUID();
    await db.pool.query(
      `insert into idempotency_keys (user_id, key, method, path, fingerprint, state, expires_at)
         values ($1, 'expired', 'POST', '/api/demo', 'f', 'running', now() - interval '1 second'),
                ($1, 'live', 'POST', '/api/demo', 'f', 'running', now() + interval '1 hour')`,
      [userId],
    );

    const service = await startService(
      { ...demoService, configSpec: { ...demoConfigSpec, ...idempotencyConfigSpec } },
      {
        env: demoEnv(),
        logger: silentLogger(),
        catalog: demoCatalog,
      },
    );
    try {
      const left = await waitFor(async () => {
        const { rows } = await db.pool.query('select key from idempotency_keys where user_id = $1', [userId]);
        return rows.length === 1 ? rows : undefined;
      });
      expect(left).toEqual([{ key: 'live' }]);
    } finally {
      await service.stop();
    }
  });

  it('on stop with SHUTDOWN_DRAIN_MS, answers /readyz 503 while it still serves requests, then closes', async () => {
    const service: RunningService = await startService(demoService, {
      env: demoEnv({ SHUTDOWN_DRAIN_MS: '3000' }),
      logger: silentLogger(),
      catalog: demoCatalog,
    });
    const stopped = service.stop();
    try {
      await request(service.url).get('/readyz').expect(503);
      await request(service.url).post('/api/demo').expect(201);
    } finally {
      await stopped;
    }
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
  });

  it('builds the consumers from the deps buildApp got, when they are given as a function', async () => {
    const seen: AppDeps[] = [];
    const service = await startService(
      {
        ...demoService,
        buildApp: (deps) => {
          seen.push(deps);
          return demoService.buildApp(deps);
        },
        consumers: (deps) => {
          seen.push(deps);
          return [defineConsumer('expiration.complete', async () => undefined, { name: 'demo-from-deps' })];
        },
      },
      {
        env: demoEnv(),
        logger: silentLogger(),
        catalog: { demo: { publishes: ['expiration.complete'], consumes: ['expiration.complete'] } },
      },
    );
    try {
      expect(service.consumers.map((c) => c.inboxName)).toEqual(['demo:demo-from-deps']);
      expect(seen).toHaveLength(2);
      expect(seen[1]).toBe(seen[0]);
    } finally {
      await service.stop();
    }
  });

  it('builds the dependencies once per start and hands the same instance to the app, consumers and background', async () => {
    let built = 0;
    const seen: unknown[] = [];
    const service = await startService(
      {
        ...demoService,
        dependencies: () => ({ n: ++built }),
        buildApp: (deps) => {
          seen.push(deps.deps);
          return demoService.buildApp({ ...deps, deps: undefined });
        },
        consumers: ({ deps }) => {
          seen.push(deps);
          return [];
        },
        background: async ({ deps }) => {
          seen.push(deps);
          return { stop: async () => undefined };
        },
      },
      {
        env: demoEnv(),
        logger: silentLogger(),
        catalog: demoCatalog,
      },
    );
    await service.stop();

    expect(built).toBe(1);
    expect(seen).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).toBe(seen[0]);
  });

  it('closes the dependencies on stop, after the background work and before NATS drains', async () => {
    const events: string[] = [];
    const service = await startService(
      {
        name: demoService.name,
        configSpec: demoConfigSpec,
        dependencies: () => ({
          close: async () => {
            events.push(service.nc!.isClosed() ? 'closed after NATS' : 'dependencies closed');
          },
        }),
        buildApp: (deps) => demoService.buildApp({ ...deps, deps: undefined }),
        background: async () => ({ stop: async () => void events.push('background stopped') }),
      },
      {
        env: demoEnv(),
        logger: silentLogger(),
        catalog: demoCatalog,
      },
    );

    await service.stop();

    expect(events).toEqual(['background stopped', 'dependencies closed']);
  });

  it('runs each consumer with the concurrency CONSUMER_CONCURRENCY gives it, over what the service declares', async () => {
    const service = await startService(
      {
        ...demoService,
        consumers: [
          defineConsumer('expiration.complete', async () => undefined, { name: 'declared', concurrency: 3 }),
          defineConsumer('expiration.complete', async () => undefined, { name: 'overridden' }),
          defineConsumer('expiration.complete', async () => undefined, { name: 'service-default' }),
        ],
        consumerConcurrency: 2,
      },
      {
        env: demoEnv({ CONSUMER_CONCURRENCY: 'overridden=8' }),
        logger: silentLogger(),
        catalog: { demo: { publishes: ['expiration.complete'], consumes: ['expiration.complete'] } },
      },
    );
    try {
      expect(service.consumers.map((c) => [c.inboxName, c.concurrency])).toEqual([
        ['demo:declared', 3],
        ['demo:overridden', 8],
        ['demo:service-default', 2],
      ]);
    } finally {
      await service.stop();
    }
  });

  it('opens enough database connections for every message its consumers may hold at once, beyond the HTTP share', async () => {
    const concurrency = 16;
    let inside = 0;
    let most = 0;
    let release!: () => void;
    const allInside = new Promise<void>((r) => (release = r));
    const service = await startService(
      {
        ...demoService,
        consumers: [
          defineConsumer(
            'expiration.complete',
            async () => {
              // Each handler runs in its own open transaction: held until all of them hold one.
              inside++;
              most = Math.max(most, inside);
              if (inside >= concurrency) release();
              await Promise.race([allInside, new Promise((r) => setTimeout(r, 10_000))]);
              inside--;
            },
            { name: 'wide' },
          ),
        ],
        consumerConcurrency: concurrency,
      },
      {
        env: demoEnv(),
        logger: silentLogger(),
        catalog: { demo: { publishes: ['expiration.complete'], consumes: ['expiration.complete'] } },
      },
    );
    const nc = await nats.connect(NATS_TEST_USER);
    try {
      for (let i = 0; i < concurrency; i++)
        await publishTestEvent(nc, 'expiration.complete', { orderId: crypto.randomUUID() });

      await allInside;
      expect(most).toBe(concurrency);
      expect(service.databasePoolMax).toBe(concurrency + RELAY_CONNECTIONS + HTTP_CONNECTIONS);
    } finally {
      await nc.close();
      await service.stop();
    }
  });

  it('refuses a DATABASE_POOL_MAX that is not a whole number, naming it', async () => {
    const start = startService(demoService, {
      env: demoEnv({ DATABASE_POOL_MAX: 'lots' }),
      logger: silentLogger(),
      catalog: demoCatalog,
    });

    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow('DATABASE_POOL_MAX must be an integer, got "lots"');
  });

  it('refuses a DATABASE_POOL_MAX below what its consumers and relay may hold at once, naming it', async () => {
    const start = startService(
      {
        ...demoService,
        consumers: [defineConsumer('expiration.complete', async () => undefined)],
        consumerConcurrency: 8,
      },
      {
        env: demoEnv({ DATABASE_POOL_MAX: '10' }),
        logger: silentLogger(),
        catalog: { demo: { publishes: ['expiration.complete'], consumes: ['expiration.complete'] } },
      },
    );

    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(
      'DATABASE_POOL_MAX must be at least 13 for this service (its consumers may hold 8 connections at once and its relay 4, plus one for HTTP), got 10',
    );
  });

  it('refuses a CONSUMER_CONCURRENCY that names no consumer of the service, naming it', async () => {
    const start = startService(demoService, {
      env: demoEnv({ CONSUMER_CONCURRENCY: 'order.created=4' }),
      logger: silentLogger(),
      catalog: demoCatalog,
    });

    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow('CONSUMER_CONCURRENCY: this service has no consumer "order.created"');
  });

  it('refuses to start a service the catalog does not know, naming it', async () => {
    const start = startService(demoService, {
      env: demoEnv(),
      logger: silentLogger(),
    });

    await expect(start).rejects.toThrow(ServiceDefinitionError);
    await expect(start).rejects.toThrow('service "demo" is not in the service catalog');
  });

  it('refuses to start a service whose consumers are not the subjects the catalog declares', async () => {
    const start = startService(
      {
        ...demoService,
        name: 'expiration',
        consumers: [defineConsumer('ticket.created', async () => undefined)],
      },
      {
        env: demoEnv(),
        logger: silentLogger(),
      },
    );

    await expect(start).rejects.toThrow(
      'service "expiration" consumes ticket.created not declared in the catalog and has no consumer for order.created the catalog declares',
    );
  });

  it('refuses consumers built from the deps that differ from the catalog, before any of them starts', async () => {
    const start = startService(
      { ...demoService, consumers: () => [defineConsumer('order.created', async () => undefined)] },
      {
        env: demoEnv(),
        logger: silentLogger(),
        catalog: demoCatalog,
      },
    );

    await expect(start).rejects.toThrow('service "demo" consumes order.created not declared in the catalog');
    const nc = await nats.connect(NATS_TEST_USER);
    try {
      const jsm = await jetstreamManager(nc);
      const durables = await jsm.consumers.list(STREAM_NAME).next();
      expect(durables.map((c) => c.name)).not.toContain(durableName('demo', 'order.created'));
    } finally {
      await nc.close();
    }
  });

  it('shuts down gracefully on SIGTERM with exit code 0', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'fixtures/demo-main.ts')],
      {
        env: {
          PATH: process.env.PATH,
          ...demoEnv(),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('service started'), { timeoutMs: 30_000 });
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');

    expect(await exit).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'service stopped']));
  });
});
