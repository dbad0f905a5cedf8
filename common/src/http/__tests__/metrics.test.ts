import request from 'supertest';
import { Counter } from 'prom-client';
import { createApp, createMetrics, silentLogger } from '..';

function buildApp(metrics = createMetrics('tickets')) {
  return createApp({
    logger: silentLogger(),
    metrics,
    routes: (app) => {
      app.get('/api/tickets/:id', (_req, res) => {
        res.json({});
      });
    },
  });
}

describe('GET /metrics', () => {
  it('returns prometheus text containing http_request_duration', async () => {
    const app = buildApp();
    await request(app).get('/api/tickets/123');

    const res = await request(app).get('/metrics');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('http_request_duration_seconds_bucket');
  });

  it('labels requests with the route pattern, not the raw path', async () => {
    const app = buildApp();
    await request(app).get('/api/tickets/1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed');

    const res = await request(app).get('/metrics');

    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{[^}]*route="\/api\/tickets\/:id"[^}]*status="200"/,
    );
    expect(res.text).not.toContain('1b9d6bcd');
  });

  it('labels unknown routes as unmatched', async () => {
    const app = buildApp();
    await request(app).get('/random/path/42');

    const res = await request(app).get('/metrics');

    expect(res.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="unmatched"[^}]*status="404"/);
  });

  it('adds the service label and default process metrics', async () => {
    const res = await request(buildApp()).get('/metrics');

    expect(res.text).toMatch(/process_cpu_user_seconds_total\{service="tickets"\}/);
  });

  it('serves counters other modules register on the same registry', async () => {
    const metrics = createMetrics('orders');
    new Counter({
      name: 'outbox_published_total',
      help: 'Published events',
      registers: [metrics.registry],
    }).inc(3);

    const res = await request(buildApp(metrics)).get('/metrics');

    expect(res.text).toContain('outbox_published_total{service="orders"} 3');
  });
});
