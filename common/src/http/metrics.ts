import type { Request, RequestHandler } from 'express';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What `createMetrics` returns: a private registry, the HTTP histogram and its middleware, and the scrape handler. */
export interface Metrics {
  /** This service's registry; add counters with `new Counter({ registers: [metrics.registry], ... })`. */
  registry: Registry;
  /** `http_request_duration_seconds{method, route, status}`. */
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Observes the duration of every request. */
  middleware: RequestHandler;
  /** Serves the registry in Prometheus text format (mount at `GET /metrics`). */
  handler: RequestHandler;
}

// Label with the route pattern ("/api/tickets/:id"), never the raw path, to keep cardinality bounded.
function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (!route || route.path === undefined) return 'unmatched';
  return `${req.baseUrl}${String(route.path)}`;
}

/** Creates a service's metrics on its own registry (default Node metrics, `service` label). */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });

  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Duration of HTTP requests in seconds',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const middleware: RequestHandler = (req, res, next) => {
    const stop = httpRequestDuration.startTimer();
    res.on('finish', () => {
      stop({ method: req.method, route: routeLabel(req), status: String(res.statusCode) });
    });
    next();
  };

  const handler: RequestHandler = async (_req, res) => {
    const body = await registry.metrics();
    res.setHeader('Content-Type', registry.contentType);
    res.send(body);
  };

  return { registry, httpRequestDuration, middleware, handler };
}
