/**
 * One trace from a click to the last consumer: the whole system booted as `npm start` boots it
 * (free ports, temp data, spans in `<data>/traces/*.jsonl`), used through the gateway, then read
 * back from the span files the services and the gateway wrote.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../routes';
import { startSystem, type RunningSystem } from '../system';
import { readSpans, spansOfTrace, traceIdOf, type StoredSpan } from '../traces';
import { eventually, User, type Order } from '../user';

const EXPIRATION_WINDOW_SECONDS = 5;
const artifacts = path.join(repoRoot, 'artifacts');
const logFile = path.join(artifacts, 'system-tracing.log');

let system: RunningSystem;
let log: fs.WriteStream;
const logLines: string[] = [];

beforeAll(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  log = fs.createWriteStream(logFile);
  system = await startSystem({
    ephemeral: true,
    gatewayPort: 0,
    gatewayHost: '127.0.0.1',
    // `npm test -w @ticketing/system` builds the client first when it is not built.
    client: true,
    env: {
      ...process.env,
      EXPIRATION_WINDOW_SECONDS: String(EXPIRATION_WINDOW_SECONDS),
      SCRYPT_N: '1024',
      LOG_LEVEL: 'info',
    },
    log: (line) => {
      logLines.push(line);
      log.write(`${line}\n`);
    },
  });
}, 180_000);

afterAll(async () => {
  await system?.stop();
  await new Promise((r) => log?.end(r));
}, 60_000);

const tracesDir = () => path.join(system.dataDir, 'traces');

/**
 * The spans of a trace once every span `wanted` names is there (spans reach the files in batches,
 * a moment after they end).
 */
async function traceWith(
  traceId: string,
  wanted: ((spans: StoredSpan[]) => unknown)[],
): Promise<StoredSpan[]> {
  return eventually(`spans of trace ${traceId}`, async () => {
    const spans = spansOfTrace(readSpans(tracesDir()), traceId);
    return wanted.every((w) => w(spans)) ? spans : undefined;
  });
}

/** The one span of `service` named `name` (a test failure names what was there instead). */
function one(spans: StoredSpan[], service: string, name: string | RegExp): StoredSpan {
  const found = spans.filter(
    (s) => s.service === service && (typeof name === 'string' ? s.name === name : name.test(s.name)),
  );
  if (found.length !== 1) {
    throw new Error(
      `expected one ${service} span ${String(name)}, found ${found.length} among: ${spans.map((s) => `${s.service}:${s.name}`).join(', ')}`,
    );
  }
  return found[0]!;
}

const has = (service: string, name: string | RegExp) => (spans: StoredSpan[]) =>
  spans.some(
    (s) => s.service === service && (typeof name === 'string' ? s.name === name : name.test(s.name)),
  );

/** Whether `ancestor` is `span`'s parent, grandparent, … within `spans`. */
function descends(spans: StoredSpan[], span: StoredSpan, ancestor: StoredSpan): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let p = span.parentSpanId; p; p = byId.get(p)?.parentSpanId) if (p === ancestor.spanId) return true;
  return false;
}

async function placeOrder(): Promise<{ buyer: User; order: Order; traceId: string; traceresponse: string }> {
  const seller = await new User(system.gatewayUrl).signUp();
  const buyer = await new User(system.gatewayUrl).signUp();
  const ticket = (await seller.createTicket('Concert', 20)).body;
  const res = await buyer.createOrderWhenKnown(ticket.id);
  expect(res.status).toBe(201);
  const traceresponse = res.headers.get('traceresponse') ?? '';
  expect(traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  return { buyer, order: res.body, traceId: traceIdOf(traceresponse)!, traceresponse };
}

describe('a purchase through the gateway', () => {
  let purchase: Awaited<ReturnType<typeof placeOrder>>;
  let paymentTraceresponse: string;

  beforeAll(async () => {
    purchase = await placeOrder();
    const paid = await purchase.buyer.payWhenKnown(purchase.order.id, 'tok_visa');
    if (paid.status !== 201) throw new Error(`payment answered ${paid.status}: ${JSON.stringify(paid.body)}`);
    paymentTraceresponse = paid.headers.get('traceresponse') ?? '';
  });

  it('traces POST /api/orders from the gateway through the route, its insert and the publish to the order.created handlers of tickets, payments and expiration', async () => {
    const spans = await traceWith(purchase.traceId, [
      has('gateway', 'POST /api/orders'),
      has('orders', 'publish order.created'),
      has('tickets', 'process order.created'),
      has('payments', 'process order.created'),
      has('expiration', 'process order.created'),
    ]);

    const gateway = one(spans, 'gateway', 'POST /api/orders');
    const server = one(spans, 'orders', 'POST /api/orders');
    const route = spans.find(
      (s) => s.service === 'orders' && s.attributes['express.type'] === 'request_handler',
    )!;
    const insert = spans.find(
      (s) =>
        s.service === 'orders' && /^insert into "orders"/.test(String(s.attributes['db.query.text'] ?? '')),
    )!;
    const publish = one(spans, 'orders', 'publish order.created');
    // The response names the gateway's span: the outermost server of the request.
    expect(purchase.traceresponse.split('-')[2]).toBe(gateway.spanId);
    expect(gateway.parentSpanId).toBeUndefined();
    expect(server.parentSpanId).toBe(gateway.spanId);
    expect(server.attributes['http.route']).toBe('/api/orders');
    expect(route.parentSpanId).toBe(server.spanId);
    expect(insert.parentSpanId).toBe(route.spanId);
    expect(descends(spans, publish, server)).toBe(true);
    expect(publish.kind).toBe(4); // producer
    for (const service of ['tickets', 'payments', 'expiration']) {
      const handler = one(spans, service, 'process order.created');
      expect({ service, parent: handler.parentSpanId, kind: handler.kind }).toEqual({
        service,
        parent: publish.spanId,
        kind: 5, // consumer
      });
    }
  });

  it("traces POST /api/payments through payments' route and the publish of payment.created to orders' handler of it", async () => {
    const traceId = traceIdOf(paymentTraceresponse)!;
    const spans = await traceWith(traceId, [
      has('gateway', 'POST /api/payments'),
      has('payments', 'publish payment.created'),
      has('orders', 'process payment.created'),
    ]);

    const gateway = one(spans, 'gateway', 'POST /api/payments');
    const server = one(spans, 'payments', 'POST /api/payments');
    const publish = one(spans, 'payments', 'publish payment.created');
    const handler = one(spans, 'orders', 'process payment.created');
    expect(server.parentSpanId).toBe(gateway.spanId);
    expect(server.attributes['http.route']).toBe('/api/payments');
    expect(descends(spans, publish, server)).toBe(true);
    expect(handler.parentSpanId).toBe(publish.spanId);
  });

  it("writes the order's trace id on the log line of tickets' order.created handler", async () => {
    const line = await eventually('tickets logged the order', async () =>
      logLines.find(
        (l) => l.startsWith('[tickets] ') && l.includes(purchase.order.id) && l.includes('"order created"'),
      ),
    );
    const fields = JSON.parse(line.slice('[tickets] '.length)) as Record<string, string>;
    expect(fields.trace_id).toBe(purchase.traceId);
    expect(fields.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('prints the purchase as a waterfall with `npm run trace -- --last`, naming every service on its path', async () => {
    await traceWith(traceIdOf(paymentTraceresponse)!, [has('orders', 'process payment.created')]);
    await traceWith(purchase.traceId, [has('expiration', 'process order.created')]);

    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'trace', '--', '--last'], {
      cwd: repoRoot,
      env: { ...process.env, DATA_DIR: system.dataDir },
    });

    expect(stdout).toContain(`trace ${purchase.traceId}`);
    expect(stdout).toContain(`trace ${traceIdOf(paymentTraceresponse)}`);
    for (const service of ['gateway', 'orders', 'tickets', 'payments', 'expiration']) {
      expect(stdout).toMatch(new RegExp(`\\s${service}\\s`));
    }
    expect(stdout).toMatch(/publish order\.created \(producer\)/);
    expect(stdout).toMatch(/process payment\.created \(consumer\)/);
  });
});

describe('a service reached directly', () => {
  it('answers with a traceresponse naming its own server span, errors included', async () => {
    const res = await fetch(`http://127.0.0.1:${system.services.orders.port}/api/orders`);
    await res.text();
    expect(res.status).toBe(401);
    const traceresponse = res.headers.get('traceresponse');
    const traceId = traceIdOf(traceresponse)!;

    const spans = await traceWith(traceId, [has('orders', 'GET /api/orders')]);
    expect(one(spans, 'orders', 'GET /api/orders')).toMatchObject({
      spanId: traceresponse!.split('-')[2],
      parentSpanId: undefined,
      attributes: { 'http.response.status_code': 401 },
    });
  });
});

describe('a page rendered by the Next.js server', () => {
  it('traces GET / from the gateway through the render to the API calls it makes and the services answering them', async () => {
    const res = await fetch(`${system.gatewayUrl}/`);
    await res.text();
    expect(res.status).toBe(200);
    const traceId = traceIdOf(res.headers.get('traceresponse'))!;

    const spans = await traceWith(traceId, [
      has('gateway', 'GET /'),
      has('gateway', 'GET /api/tickets'),
      has('tickets', 'GET /api/tickets'),
    ]);

    const edge = one(spans, 'gateway', 'GET /');
    const clientServerSpans = spans.filter((s) => s.service === 'client' && s.kind === 2);
    expect(clientServerSpans.map((s) => s.parentSpanId)).toContain(edge.spanId);
    const apiCall = one(spans, 'gateway', 'GET /api/tickets');
    const clientSpan = spans.find((s) => s.spanId === apiCall.parentSpanId);
    expect(clientSpan?.service).toBe('client');
    expect(one(spans, 'tickets', 'GET /api/tickets').parentSpanId).toBe(apiCall.spanId);
  });
});

describe('an order left to expire', () => {
  it("handles expiration.complete in orders in a new trace linked to the order's trace", async () => {
    const { buyer, order, traceId } = await placeOrder();
    await eventually(
      'order cancelled by expiry',
      async () => ((await buyer.getOrder(order.id)).body.status === 'cancelled' ? true : undefined),
      (EXPIRATION_WINDOW_SECONDS + 30) * 1000,
    );
    const orderTrace = await traceWith(traceId, [has('expiration', 'process order.created')]);
    const scheduler = one(orderTrace, 'expiration', 'process order.created');

    const handler = await eventually('expiration.complete handled', async () =>
      readSpans(tracesDir()).find(
        (s) =>
          s.service === 'orders' &&
          s.name === 'process expiration.complete' &&
          s.links.some((l) => l.traceId === traceId),
      ),
    );
    expect(handler.traceId).not.toBe(traceId);
    expect(handler.links).toEqual([{ traceId, spanId: scheduler.spanId }]);
  });
});
