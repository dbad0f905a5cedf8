/**
 * The whole system, booted as `npm start` boots it (free ports, temp data), used only through the
 * gateway like a user. One system serves every test of this file; the fault test runs last.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseLinks } from '@ticketing/common';
import { checkInvariants, waitForQuiescence } from '../invariants';
import { runPurchases } from '../purchases';
import { repoRoot } from '../routes';
import { startSystem, type RunningSystem } from '../system';
import { eventually, sleep, User, type ApiResponse, type ErrorBody, type Order, type Ticket } from '../user';

const EXPIRATION_WINDOW_SECONDS = 6;
const artifacts = path.join(repoRoot, 'artifacts');
const logFile = path.join(artifacts, 'system-flows.log');

let system: RunningSystem;
let log: fs.WriteStream;
/** Each service's 'service started' log line, as `npm start` prints it: `[name] {json}`. */
const startLines: string[] = [];

/** Lines that must show in the test output as well as the log file (the kills). */
function announce(line: string): void {
  log.write(`${new Date().toISOString()} [test] ${line}\n`);
  console.log(line);
}

beforeAll(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  log = fs.createWriteStream(logFile);
  system = await startSystem({
    ephemeral: true,
    gatewayPort: 0,
    gatewayHost: '127.0.0.1',
    client: false,
    env: {
      ...process.env,
      EXPIRATION_WINDOW_SECONDS: String(EXPIRATION_WINDOW_SECONDS),
      SCRYPT_N: '1024',
      LOG_LEVEL: 'info',
      // The course's concurrency test has one buyer hold 200 unpaid orders at once; the cap itself
      // is tested in orders (create-order.test.ts).
      MAX_LIVE_ORDERS_PER_USER: '1000',
    },
    log: (line) => {
      if (line.includes('"service started"')) startLines.push(line);
      log.write(`${line}\n`);
    },
  });
  announce(`system up at ${system.gatewayUrl}; logs in ${path.relative(repoRoot, logFile)}`);
}, 180_000);

afterAll(async () => {
  await system?.stop();
  await new Promise((r) => log?.end(r));
}, 60_000);

async function seller(): Promise<User> {
  return new User(system.gatewayUrl).signUp();
}

/** Every ticket for sale, page after page, following the list's `Link: rel="next"` as a client does. */
async function ticketsForSale(user: User): Promise<Ticket[]> {
  const all: Ticket[] = [];
  for (let path: string | undefined = '/api/tickets?limit=100'; path;) {
    const page: ApiResponse<Ticket[]> = await user.request<Ticket[]>(
      'GET',
      path,
      undefined,
      'GET /api/tickets',
    );
    if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status}`);
    all.push(...page.body);
    path = parseLinks(page.headers.get('link')).next;
  }
  return all;
}

describe('starting the system', () => {
  it('runs every service on the Node major the tests run on', () => {
    const started = startLines.map((line) => {
      const [, name, json] = /^\[(\w+)\] (\{.*\})$/.exec(line)!;
      return [name, (JSON.parse(json!) as { node: string }).node.split('.')[0]];
    });
    const major = `v${process.versions.node.split('.')[0]}`;
    expect(Object.fromEntries(started)).toEqual({
      auth: major,
      tickets: major,
      orders: major,
      expiration: major,
      payments: major,
    });
  });
});

describe('buying a ticket', () => {
  it('completes the order, takes the ticket off sale and stops the seller editing it', async () => {
    const a = await seller();
    const b = await new User(system.gatewayUrl).signUp();
    const created = await a.createTicket('Concert', 20);
    expect(created.status).toBe(201);
    const ticket = created.body;

    const order = await b.createOrderWhenKnown(ticket.id);
    expect(order.status).toBe(201);
    expect(order.body.ticket).toMatchObject({ id: ticket.id, price: 20 });

    // Payments learns of the order through order.created: pay as soon as it knows it.
    const paid = await b.payWhenKnown(order.body.id, 'tok_visa');
    expect(paid.status).toBe(201);

    const complete = await eventually('order complete', async () => {
      const r = await b.getOrder(order.body.id);
      return r.body.status === 'complete' ? r.body : undefined;
    });
    expect(complete.status).toBe('complete');

    await eventually('ticket off sale', async () =>
      (await ticketsForSale(b)).some((t) => t.id === ticket.id) ? undefined : true,
    );
    const edit = await a.updateTicket(ticket.id, 'Concert', 25);
    expect(edit.status).toBe(400);
    expect((edit.body as unknown as ErrorBody).errors[0]?.message).toBe('Cannot edit a reserved ticket');
  });
});

describe('an order not paid in time', () => {
  it('is cancelled, puts the ticket back on sale and refuses payment', async () => {
    const a = await seller();
    const b = await new User(system.gatewayUrl).signUp();
    const ticket = (await a.createTicket('Play', 12.5)).body;
    const order = await b.createOrderWhenKnown(ticket.id);
    expect(order.status).toBe(201);
    await eventually('ticket reserved', async () =>
      (await b.getTicket(ticket.id)).body.orderId === order.body.id ? true : undefined,
    );

    const cancelled = await eventually(
      'order cancelled by expiry',
      async () => {
        const r = await b.getOrder(order.body.id);
        return r.body.status === 'cancelled' ? r.body : undefined;
      },
      (EXPIRATION_WINDOW_SECONDS + 30) * 1000,
    );
    expect(cancelled.status).toBe('cancelled');

    const back = await eventually('ticket for sale again', async () =>
      (await ticketsForSale(b)).find((t) => t.id === ticket.id),
    );
    expect(back.orderId).toBeNull();

    // Payments hears of the cancellation through order.cancelled; before that it refuses on expiry.
    const paid = await b.pay(order.body.id, 'tok_visa');
    expect(paid.status).toBe(400);
    expect((paid.body as unknown as ErrorBody).errors[0]?.message).toMatch(
      /Cannot pay for a cancelled order|Order has expired/,
    );
  });
});

describe('concurrent updates of many tickets', () => {
  it('leaves every order showing the last price and version (200 tickets: 5, then 10, then 15)', async () => {
    const a = await seller();
    const b = await new User(system.gatewayUrl).signUp();
    const N = 200;
    const tickets: Ticket[] = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const r = await a.createTicket(`Concurrency ${i}`, 5);
        if (r.status !== 201) throw new Error(`create answered ${r.status}: ${JSON.stringify(r.body)}`);
        return r.body;
      }),
    );
    await Promise.all(
      tickets.map(async (t) => {
        const first = await a.updateTicket(t.id, t.title, 10);
        if (first.status !== 200)
          throw new Error(`update to 10 answered ${first.status}: ${JSON.stringify(first.body)}`);
        const second = await a.updateTicket(t.id, t.title, 15);
        if (second.status !== 200)
          throw new Error(`update to 15 answered ${second.status}: ${JSON.stringify(second.body)}`);
      }),
    );

    // Orders' replica lags; an order placed too early may see 404 (retried) or an older version.
    await waitForQuiescence(system.postgresUrl, 120_000);
    const orders: Order[] = [];
    for (let i = 0; i < N; i += 20) {
      const batch = await Promise.all(tickets.slice(i, i + 20).map((t) => b.createOrderWhenKnown(t.id)));
      for (const r of batch) {
        if (r.status !== 201) throw new Error(`order answered ${r.status}: ${JSON.stringify(r.body)}`);
        orders.push(r.body);
      }
    }
    const wrong = orders.filter((o) => o.ticket.price !== 15 || o.ticket.version !== 2);
    expect(
      wrong.map((o) => ({ ticket: o.ticket.id, price: o.ticket.price, version: o.ticket.version })),
    ).toEqual([]);
    expect(orders).toHaveLength(N);
  });
});

describe('faults while 500 purchases run', () => {
  it('sells no ticket twice, loses and doubles no event, and orders and payments agree', async () => {
    const run = await runPurchases({
      gatewayUrl: system.gatewayUrl,
      purchases: 500,
      concurrency: 20,
      during: async (progress) => {
        await progress.reached(100);
        const natsPid = system.nats.pid();
        await system.nats.kill('SIGKILL');
        announce(`killed nats-server (pid ${natsPid}) with SIGKILL after ${progress.done} purchases`);
        await sleep(3000);
        await system.nats.restart();
        announce(`restarted nats-server (pid ${system.nats.pid()})`);

        await progress.reached(250);
        const orders = system.services.orders;
        const ordersPid = orders.pid;
        await orders.kill('SIGKILL');
        announce(`killed orders (pid ${ordersPid}) with SIGKILL after ${progress.done} purchases`);
        await sleep(2000);
        await orders.restart();
        announce(`restarted orders (pid ${orders.pid})`);

        await progress.reached(350);
        const tickets = system.services.tickets;
        const ticketsPid = tickets.pid;
        await tickets.kill('SIGKILL');
        announce(`killed tickets (pid ${ticketsPid}) with SIGKILL after ${progress.done} purchases`);
        await sleep(2000);
        await tickets.restart();
        announce(`restarted tickets (pid ${tickets.pid})`);
      },
    });
    announce(
      `500 purchases in ${run.seconds.toFixed(1)} s: ${JSON.stringify(run.outcomes)} ${JSON.stringify(run.statuses)}`,
    );

    // Scheduled expiries too: one coming due while the invariants are read would be counted half-way.
    const settleMs = await waitForQuiescence(system.postgresUrl, 180_000, { scheduled: true });
    const report = await checkInvariants(system.postgresUrl);
    announce(`settled in ${settleMs} ms; figures: ${JSON.stringify(report.figures)}`);
    expect(report.problems).toEqual([]);
    // Orders that expire during an outage are refused payment (400): most purchases still succeed.
    expect(run.outcomes.paid).toBeGreaterThan(run.purchases * 0.6);
  });
});
