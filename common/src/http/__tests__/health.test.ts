import request from 'supertest';
import { createApp, silentLogger, type HealthOptions } from '..';

function buildApp(health: HealthOptions) {
  return createApp({ logger: silentLogger(), health, routes: () => undefined });
}

const ok = async (): Promise<void> => undefined;

describe('GET /healthz', () => {
  it('returns 200 ok even when a dependency is down', async () => {
    const app = buildApp({
      checks: { db: () => Promise.reject(new Error('down')) },
      isShuttingDown: () => false,
    });

    const res = await request(app).get('/healthz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

describe('GET /readyz', () => {
  it('returns 200 ready when every check passes', async () => {
    const res = await request(buildApp({ checks: { db: ok, nats: ok }, isShuttingDown: () => false })).get(
      '/readyz',
    );

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { db: 'ok', nats: 'ok' } });
  });

  it('returns 503 naming the failing check', async () => {
    const app = buildApp({
      checks: { db: ok, nats: () => Promise.reject(new Error('connection refused')) },
      isShuttingDown: () => false,
    });

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'not ready',
      checks: { db: 'ok', nats: 'error: connection refused' },
    });
  });

  it('returns 503 when a check does not answer within its timeout', async () => {
    const app = buildApp({
      checks: { db: () => new Promise<void>(() => undefined) },
      isShuttingDown: () => false,
      checkTimeoutMs: 50,
    });

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body.checks.db).toBe('error: timed out after 50 ms');
  });

  it('returns 503 while shutting down', async () => {
    const res = await request(buildApp({ checks: { db: ok }, isShuttingDown: () => true })).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body.status).toBe('not ready');
  });
});
