import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import {
  adminQuery,
  publishTestEvent,
  sessionCookie,
  startMain,
  startNatsServer,
  startPostgres,
  waitFor,
  type MainProcess,
  type NatsServerHandle,
  type PostgresServerHandle,
} from '@ticketing/common/testing';
import { find, render, type Loose } from '../src/kustomize';
import { selects } from '../src/network-policy';
import { apps, k8sDir, repoRoot, services } from '../src/paths';

// The grammar ships as an ES module with a CommonJS build beside it; jest runs these tests as CommonJS.
const { parser } = require('@prometheus-io/lezer-promql') as typeof import('@prometheus-io/lezer-promql', {
  with: { 'resolution-mode': 'import' },
});

/** components/monitoring is in the prod overlay (it needs prometheus-operator's CRDs). */
const prod = render('overlays/prod');
const dashboardFile = path.join(k8sDir, 'components', 'monitoring', 'grafana-dashboard.json');
const dashboard = JSON.parse(fs.readFileSync(dashboardFile, 'utf8')) as Loose;

const rules: { alert: string; expr: string; for?: string }[] = find(
  prod,
  'PrometheusRule',
  'ticketing-alerts',
).spec.groups.flatMap((g: Loose) => g.rules);
/** Every PromQL expression of the dashboard, with Grafana's variables replaced as Grafana would. */
const dashboardExprs: { panel: string; expr: string }[] = dashboard.panels.flatMap((p: Loose) =>
  p.targets.map((t: Loose) => ({
    panel: p.title,
    expr: String(t.expr).replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h'),
  })),
);

/** Syntax errors Prometheus' own PromQL grammar (@prometheus-io/lezer-promql) finds, as `at <offset>`. */
function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`at ${n.from}: ${expr.slice(Math.max(0, n.from - 20), n.from + 20)}`);
    },
  });
  return errors;
}

/** The metric names an expression selects (the grammar's VectorSelector identifiers). */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector')
        names.push(expr.slice(n.from, n.to));
    },
  });
  return names;
}

/** Metrics the alerts read from kube-state-metrics (part of kube-prometheus-stack), not from the services. */
const kubeStateMetrics = ['kube_deployment_spec_replicas', 'kube_deployment_status_replicas_available'];
/** Metrics only payments exports (payments/src/__tests__/refunds-after-outage.e2e.test.ts reads them off a real process). */
const paymentsMetrics = ['refunds_overdue'];

describe('the PodMonitor (components/monitoring)', () => {
  const monitor = find(prod, 'PodMonitor', 'ticketing-services');
  const deployments = prod.filter((m) => m.kind === 'Deployment');

  it("selects every service's pods and nothing else", () => {
    const selected = deployments
      .filter((d) => selects(monitor.spec.selector, d.spec.template.metadata.labels))
      .map((d) => d.metadata.name);
    expect(selected.sort()).toEqual([...services].sort());
  });

  it('scrapes /metrics on a port every selected container declares by that name', () => {
    const [endpoint, ...others] = monitor.spec.podMetricsEndpoints;
    expect(others).toEqual([]);
    expect(endpoint.path).toBe('/metrics');
    for (const svc of services) {
      const [c] = find(prod, 'Deployment', svc).spec.template.spec.containers;
      expect([svc, c.ports.map((p: Loose) => p.name)]).toEqual([
        svc,
        expect.arrayContaining([endpoint.port]),
      ]);
    }
  });
});

describe('the alert rules (PrometheusRule ticketing-alerts)', () => {
  it('has the alerts: outbox stalled, dead letter, consumer lag, refund overdue, 5xx rate, service not ready', () => {
    expect(rules.map((r) => [r.alert, r.for])).toEqual([
      ['TicketingOutboxStalled', undefined],
      ['TicketingDeadLetter', undefined],
      ['TicketingConsumerFallingBehind', '5m'],
      ['TicketingRefundOverdue', '5m'],
      ['TicketingHighErrorRate', '5m'],
      ['TicketingServiceNotReady', '5m'],
    ]);
  });

  it.each(rules.map((r) => [r.alert, r.expr]))('%s parses as PromQL', (_alert, expr) => {
    expect(promqlErrors(expr)).toEqual([]);
  });

  it('watches every app for readiness', () => {
    const notReady = rules.find((r) => r.alert === 'TicketingServiceNotReady')!.expr;
    for (const matcher of notReady.match(/deployment=~"([^"]+)"/g)!)
      expect(matcher).toBe(`deployment=~"${[...apps].join('|')}"`);
  });

  it('rejects what is not PromQL (the check is a parser, not a pattern)', () => {
    expect(promqlErrors('sum(rate(outbox_backlog_events[5m])')).not.toEqual([]);
    expect(promqlErrors('max by (service) outbox_backlog_events >')).not.toEqual([]);
  });
});

describe('the Grafana dashboard (ConfigMap ticketing-grafana-dashboard)', () => {
  it("is provisioned for Grafana's dashboard sidecar, under a fixed name", () => {
    const cm = find(prod, 'ConfigMap', 'ticketing-grafana-dashboard');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(cm.data['ticketing.json'])).toEqual(dashboard);
  });

  it("type-checks as @grafana/schema's Dashboard (generated from Grafana's dashboard schema)", () => {
    // The package ships the schema as TypeScript types; the compiler checks the JSON against them,
    // unknown fields included (excess property checks on the literal).
    const file = path.join(repoRoot, 'infra', '__tests__', '__dashboard_check__.ts');
    // JSON spells a string enum's member as its value: Json<T> turns each string enum into the
    // union of its values and leaves everything else as the schema has it.
    const source = [
      "import type { Dashboard } from '@grafana/schema/dist/esm/raw/dashboard/x/Dashboard_types.gen';",
      'type Json<T> = T extends string ? `${T}` : T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;',
      `export const dashboard: Json<Dashboard> = ${JSON.stringify(dashboard)};`,
    ].join('\n');
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
      skipLibCheck: true,
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) =>
      name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
    // The check bites: a misspelt field fails it.
    const broken = ts.createProgram([file], options, {
      ...host,
      getSourceFile: (name, lang, ...rest) =>
        name === file
          ? ts.createSourceFile(name, source.replace('"schemaVersion"', '"schemaVersoin"'), lang)
          : getSourceFile(name, lang, ...rest),
    });
    expect(ts.getPreEmitDiagnostics(broken).length).toBeGreaterThan(0);
  });

  it('shows the purchase funnel, latency per route, the outbox and consumer lag', () => {
    const titles = dashboard.panels.map((p: Loose) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Purchase funnel',
        'Latency per route (p95)',
        'Outbox backlog',
        'Oldest unpublished outbox row',
        'Consumer lag: pending messages',
      ]),
    );
  });

  it.each(dashboardExprs.map((e) => [e.panel, e.expr]))('%s: %s parses as PromQL', (_panel, expr) => {
    expect(promqlErrors(expr)).toEqual([]);
  });
});

describe('the metric names the alerts and the dashboard use', () => {
  let postgres: PostgresServerHandle;
  let nats: NatsServerHandle;
  let orders: MainProcess | undefined;

  beforeAll(async () => {
    [postgres, nats] = await Promise.all([startPostgres(), startNatsServer()]);
  }, 60_000);

  // A service's graceful shutdown can take seconds on a busy machine: more than jest's default 5 s.
  afterAll(async () => {
    await orders?.stop();
    await Promise.all([nats?.stop(), postgres?.stop()]);
  }, 60_000);

  it('are all exported by a real service (orders, after an event, an order and a publish) or by kube-state-metrics', async () => {
    await adminQuery(postgres.url(), 'CREATE DATABASE monitoring_orders');
    const jwtKey = crypto.randomBytes(32).toString('hex');
    orders = startMain(path.join(repoRoot, 'orders'), {
      PORT: '0',
      DATABASE_URL: postgres.url('monitoring_orders'),
      ...nats.env('orders'),
      JWT_KEY: jwtKey,
      METRICS_POLL_INTERVAL_MS: '200',
    });
    const url = await orders.url(60_000);

    // A consumer handles an event, a route answers 201, the relay publishes what it committed.
    const ticketId = crypto.randomUUID();
    const tickets = await nats.connect('tickets');
    try {
      await publishTestEvent(tickets, 'ticket.created', {
        id: ticketId,
        version: 0,
        title: 'concert',
        price: 20,
        userId: crypto.randomUUID(),
      });
    } finally {
      await tickets.close();
    }
    await waitFor(
      async () => {
        const res = await fetch(`${url}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: sessionCookie(jwtKey) },
          body: JSON.stringify({ ticketId }),
        });
        return res.status === 201;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'orders to know the ticket and place an order' },
    );
    const exported = await waitFor(
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        const names = new Set(text.split('\n').flatMap((l) => /^([a-zA-Z_:][\w:]*)[{ ]/.exec(l)?.[1] ?? []));
        return names.has('outbox_publish_duration_seconds_count') &&
          names.has('nats_consumer_pending_messages')
          ? { names, text }
          : undefined;
      },
      { timeoutMs: 30_000, what: 'the publish and the consumer gauges on /metrics' },
    );

    const used = new Set(
      [...rules.map((r) => r.expr), ...dashboardExprs.map((e) => e.expr)].flatMap(metricNames),
    );
    const unknown = [...used].filter(
      (n) => !exported.names.has(n) && !kubeStateMetrics.includes(n) && !paymentsMetrics.includes(n),
    );
    expect(unknown).toEqual([]);
    // The funnel's "orders placed" step selects the series the order above produced.
    expect(exported.text).toMatch(
      /http_request_duration_seconds_count\{(?=[^}]*method="POST")(?=[^}]*route="\/api\/orders")(?=[^}]*status="201")(?=[^}]*service="orders")[^}]*\} 1/,
    );
  }, 120_000);
});
