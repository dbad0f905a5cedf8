/**
 * `npm run load -- --seconds 60 --concurrency 20 [--url http://localhost:3000] [--replicas N] [--compare]`
 *
 * Virtual users run weighted flows through the gateway (browse much more than reserve, reserve
 * more than pay) for a set time, then the generator prints requests/s, p50/p99 latency per route,
 * errors, purchases/s, and the time from a committed order to its reservation being visible in the
 * tickets service (p50/p99). Without --url it boots its own system (free ports, temp data) and,
 * once the system is quiet, checks the invariants on its databases. Exit code 1 on any error or
 * broken invariant. `--replicas N` boots N processes of every service; `--compare` runs the default
 * start and that shape one after the other, same load, and prints the two side by side (the hidden
 * cost); `--shape-first` runs the shape first (a busy machine's drift then favours the other side).
 */
import { checkInvariants, waitForQuiescence, type InvariantReport } from './invariants';
import { startSystem, type RunningSystem, type SystemOptions } from './system';
import { sleep, User, type RequestRecord, type Ticket } from './user';

/** The production shape a booted system takes: its options beyond the default one-of-each start. */
export type SystemShape = Pick<SystemOptions, 'replicas' | 'natsCluster'>;

/** How a shape reads in a report: `default`, `replicas 2`. */
export function describeShape(shape: SystemShape): string {
  const parts = Object.entries(shape)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} ${String(v)}`);
  return parts.length ? parts.join(', ') : 'default';
}

export interface LoadOptions {
  seconds: number;
  concurrency: number;
  /** The booted system's shape (ignored with `url`). Default: one process of each. */
  shape?: SystemShape;
  /** A running gateway; when absent a system is booted for the run. */
  url?: string;
  /** Progress and report lines. */
  print?: (line: string) => void;
  /** Where the booted system's logs go (default: dropped). */
  systemLog?: (line: string) => void;
  /** Environment for the booted system (default process.env with SCRYPT_N=1024). */
  env?: NodeJS.ProcessEnv;
  /** Called with the booted system (the CLI stops it on Ctrl-C). */
  onSystem?: (system: RunningSystem) => void;
  /**
   * Statuses any route may answer while a fault is injected on purpose (e.g. `[503]` while the
   * database is stopped): counted in `tolerated`, not as errors.
   */
  tolerateStatuses?: number[];
  /** Called once the measured run starts (users signed up, warm-up tickets listed). */
  onStart?: () => void;
  /** Called with every measured request's outcome, as it completes. */
  onRequest?: (r: RequestRecord) => void;
}

export interface RouteStats {
  route: string;
  count: number;
  errors: number;
  /** Answers with a status in `tolerateStatuses` that is not one of the route's usual ones. */
  tolerated: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LoadReport {
  seconds: number;
  concurrency: number;
  requests: number;
  requestsPerSecond: number;
  errors: number;
  /** Up to 20 samples of what went wrong. */
  errorSamples: string[];
  /** Answers with a status in `tolerateStatuses` (not errors). */
  tolerated: number;
  purchases: number;
  purchasesPerSecond: number;
  reservations: number;
  /** Expected refusals: another user reserved the ticket first. */
  conflicts: number;
  routes: RouteStats[];
  /** From an order's 201 to GET /api/tickets/:id showing its orderId (polled every 20 ms; polls not in `requests`). */
  commitToReservation: {
    samples: number;
    p50: number;
    p99: number;
    max: number;
    timeouts: number;
    polls: number;
  };
  invariants?: InvariantReport;
  settleMs?: number;
}

/** Statuses that are part of normal operation for each route (others count as errors). */
const EXPECTED: Record<string, number[]> = {
  'POST /api/users/signup': [201],
  'GET /api/users/currentuser': [200],
  'GET /api/tickets': [200],
  'GET /api/tickets/:id': [200],
  'POST /api/tickets': [201],
  'GET /api/orders': [200],
  // 400: someone else reserved it first; 404: the orders service has not heard of the ticket yet (retried);
  // 429: the buyer holds MAX_LIVE_ORDERS_PER_USER unpaid orders (the user then cancels its oldest).
  'POST /api/orders': [201, 400, 404, 429],
  // 404: the payments service has not heard of the order yet (retried).
  'POST /api/payments': [201, 404],
  'DELETE /api/orders/:id': [204],
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Weighted flows: [weight, name]. Browsing dominates; reserving is rarer; paying rarer still. */
const FLOWS = [
  [40, 'browse'],
  [25, 'view'],
  [10, 'whoami'],
  [5, 'myOrders'],
  [8, 'sell'],
  [8, 'reserve'],
  [4, 'reserveAndPay'],
] as const;
const TOTAL_WEIGHT = FLOWS.reduce((s, [w]) => s + w, 0);

function pickFlow(): (typeof FLOWS)[number][1] {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const [w, name] of FLOWS) {
    if ((r -= w) < 0) return name;
  }
  return 'browse';
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  let system: RunningSystem | undefined;
  let baseUrl = options.url;
  if (!baseUrl) {
    print(
      `booting a system for the run (${describeShape(options.shape ?? {})}; free ports, temp data; SCRYPT_N=1024 unless set) ...`,
    );
    const t0 = Date.now();
    system = await startSystem({
      ephemeral: true,
      gatewayPort: 0,
      gatewayHost: '127.0.0.1',
      client: false,
      durablePostgres: true,
      ...options.shape,
      env: options.env ?? {
        ...process.env,
        SCRYPT_N: process.env.SCRYPT_N ?? '1024',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
      log: options.systemLog ?? (() => undefined),
    });
    baseUrl = system.gatewayUrl;
    options.onSystem?.(system);
    print(`system up in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${baseUrl}`);
  }

  try {
    const latencies = new Map<string, number[]>();
    const errorsByRoute = new Map<string, number>();
    const toleratedByRoute = new Map<string, number>();
    const errorSamples: string[] = [];
    const tolerate = options.tolerateStatuses ?? [];
    let measuring = false;
    let requests = 0;
    let errors = 0;
    let tolerated = 0;
    const observe = (r: RequestRecord & { body?: unknown }) => {
      if (!measuring) return;
      requests++;
      options.onRequest?.(r);
      const list = latencies.get(r.route) ?? [];
      list.push(r.ms);
      latencies.set(r.route, list);
      const expected = EXPECTED[r.route] ?? [200];
      if (expected.includes(r.status)) return;
      if (tolerate.includes(r.status)) {
        tolerated++;
        toleratedByRoute.set(r.route, (toleratedByRoute.get(r.route) ?? 0) + 1);
      } else {
        errors++;
        errorsByRoute.set(r.route, (errorsByRoute.get(r.route) ?? 0) + 1);
        if (errorSamples.length < 20)
          errorSamples.push(`${r.route} → ${r.status}${r.error ? ` ${r.error}` : ''}`);
      }
    };

    // Users sign up before the clock starts; each lists two tickets so there is something to browse.
    // Not measured: a 503 here (a database connection slow to open on a loaded machine) is retried,
    // as its Retry-After invites.
    const users: User[] = [];
    for (let i = 0; i < options.concurrency; i += 10) {
      users.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, options.concurrency - i) }, () =>
            new User(baseUrl!, observe).signUpWhenAvailable(),
          ),
        )),
      );
    }
    for (const u of users) {
      for (let k = 0; k < 2; k++) {
        const deadline = Date.now() + 30_000;
        let r = await u.createTicket(`Warm-up ${k} by ${u.email}`, 10 + k);
        while (r.status === 503 && Date.now() < deadline) {
          await sleep(100);
          r = await u.createTicket(`Warm-up ${k} by ${u.email}`, 10 + k);
        }
        if (r.status !== 201)
          throw new Error(`warm-up ticket answered ${r.status}: ${JSON.stringify(r.body)}`);
      }
    }
    const anonymous = new User(baseUrl);

    let purchases = 0;
    let reservations = 0;
    let conflicts = 0;
    const visible: number[] = [];
    let visibilityTimeouts = 0;
    let polls = 0;

    // Orders each user reserved and left unpaid (they expire), oldest first.
    const unpaidOrders = new Map<User, string[]>();
    const reserve = async (u: User, known: Ticket[], pay: boolean) => {
      const candidates = known.filter((t) => t.userId !== u.id && !t.orderId);
      const ticket = candidates[Math.floor(Math.random() * candidates.length)];
      if (!ticket) return;
      const order = await u.createOrderWhenKnown(ticket.id, 10_000);
      if (order.status === 400) conflicts++;
      if (order.status === 429) {
        // What the answer asks of a buyer: pay or cancel an unpaid order first.
        const oldest = unpaidOrders.get(u)?.shift();
        if (oldest) await u.cancelOrder(oldest);
        return;
      }
      if (order.status !== 201) return;
      reservations++;
      const committedAt = performance.now();
      // Commit → visible: the order is committed before its 201; poll tickets until it shows the reservation.
      const deadline = Date.now() + 30_000;
      for (;;) {
        polls++;
        const t = await anonymous.getTicket(ticket.id);
        if (t.status === 200 && t.body.orderId === order.body.id) {
          visible.push(performance.now() - committedAt);
          break;
        }
        if (Date.now() > deadline) {
          visibilityTimeouts++;
          break;
        }
        // 20 ms between polls: fine enough for the figure, light enough not to become the load.
        await sleep(20);
      }
      if (pay) {
        const paid = await u.payWhenKnown(order.body.id, 'tok_visa', 30_000);
        if (paid.status === 201) purchases++;
      } else if (Math.random() < 0.25) {
        await u.cancelOrder(order.body.id);
      } else {
        unpaidOrders.set(u, [...(unpaidOrders.get(u) ?? []), order.body.id]);
      }
    };

    const lastList = new Map<User, Ticket[]>();
    const virtualUser = async (u: User, until: number) => {
      while (Date.now() < until) {
        const flow = pickFlow();
        const known = lastList.get(u) ?? [];
        switch (flow) {
          case 'browse': {
            const r = await u.listTickets();
            if (r.status === 200 && Array.isArray(r.body)) lastList.set(u, r.body);
            break;
          }
          case 'view': {
            const t = known[Math.floor(Math.random() * known.length)];
            if (t) await u.getTicket(t.id);
            else await u.listTickets().then((r) => r.status === 200 && lastList.set(u, r.body));
            break;
          }
          case 'whoami':
            await u.currentUser();
            break;
          case 'myOrders':
            await u.listOrders();
            break;
          case 'sell':
            await u.createTicket(
              `Load ${Math.random().toString(36).slice(2, 8)}`,
              Math.round((5 + Math.random() * 95) * 100) / 100,
            );
            break;
          case 'reserve':
            await reserve(u, known, false);
            break;
          case 'reserveAndPay':
            await reserve(u, known, true);
            break;
        }
      }
    };

    print(`running ${options.concurrency} virtual users for ${options.seconds} s against ${baseUrl} ...`);
    measuring = true;
    options.onStart?.();
    const started = performance.now();
    const until = Date.now() + options.seconds * 1000;
    await Promise.all(users.map((u) => virtualUser(u, until)));
    measuring = false;
    const elapsed = (performance.now() - started) / 1000;

    const routes: RouteStats[] = [...latencies]
      .map(([route, list]) => {
        const sorted = [...list].sort((a, b) => a - b);
        return {
          route,
          count: list.length,
          errors: errorsByRoute.get(route) ?? 0,
          tolerated: toleratedByRoute.get(route) ?? 0,
          p50: round(percentile(sorted, 50)),
          p99: round(percentile(sorted, 99)),
          max: round(sorted.at(-1) ?? 0),
        };
      })
      .sort((a, b) => b.count - a.count);
    const vis = [...visible].sort((a, b) => a - b);
    const report: LoadReport = {
      seconds: round(elapsed),
      concurrency: options.concurrency,
      requests,
      requestsPerSecond: round(requests / elapsed),
      errors,
      errorSamples,
      tolerated,
      purchases,
      purchasesPerSecond: round(purchases / elapsed),
      reservations,
      conflicts,
      routes,
      commitToReservation: {
        samples: vis.length,
        p50: round(percentile(vis, 50)),
        p99: round(percentile(vis, 99)),
        max: round(vis.at(-1) ?? 0),
        timeouts: visibilityTimeouts,
        polls,
      },
    };

    if (system) {
      print('waiting for the system to settle, then checking the invariants ...');
      report.settleMs = await waitForQuiescence(system.postgresUrl, 120_000);
      report.invariants = await checkInvariants(system.postgresUrl);
    }
    print(formatReport(report));
    return report;
  } finally {
    await system?.stop();
  }
}

/** The report as the terminal shows it. */
export function formatReport(r: LoadReport): string {
  // The tolerated column only shows in runs that tolerate something (fault-injection tests).
  const tol = (v: string) => (r.tolerated > 0 ? v.padStart(11) : '');
  const lines = [
    '',
    `duration ${r.seconds} s · ${r.concurrency} virtual users · ${r.requests} requests · ${r.requestsPerSecond} req/s · errors ${r.errors}${r.tolerated > 0 ? ` · tolerated ${r.tolerated}` : ''}`,
    `purchases ${r.purchases} (${r.purchasesPerSecond}/s) · reservations ${r.reservations} · lost races for a ticket ${r.conflicts} (expected 400s)`,
    '',
    `${'route'.padEnd(28)}${'count'.padStart(8)}${'errors'.padStart(8)}${tol('tolerated')}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'max ms'.padStart(10)}`,
    ...r.routes.map(
      (s) =>
        `${s.route.padEnd(28)}${String(s.count).padStart(8)}${String(s.errors).padStart(8)}${tol(String(s.tolerated))}${String(s.p50).padStart(10)}${String(s.p99).padStart(10)}${String(s.max).padStart(10)}`,
    ),
    '',
    `commit → reservation visible in tickets: p50 ${r.commitToReservation.p50} ms · p99 ${r.commitToReservation.p99} ms · max ${r.commitToReservation.max} ms (${r.commitToReservation.samples} orders, ${r.commitToReservation.polls} polls not counted above${r.commitToReservation.timeouts ? `, ${r.commitToReservation.timeouts} not visible within 30 s` : ''})`,
  ];
  if (r.errorSamples.length) lines.push('', 'errors (sample):', ...r.errorSamples.map((e) => `  ${e}`));
  if (r.invariants) {
    lines.push(
      '',
      `invariants (system settled in ${r.settleMs} ms): ${r.invariants.problems.length === 0 ? 'all hold' : 'BROKEN'}`,
    );
    lines.push(
      `  orders ${r.invariants.figures.orders} · complete ${r.invariants.figures.completeOrders} · cancelled ${r.invariants.figures.cancelledOrders} · succeeded payments ${r.invariants.figures.succeededPayments} · tickets ${r.invariants.figures.tickets}`,
    );
    for (const p of r.invariants.problems) lines.push(`  ✗ ${p}`);
  } else {
    lines.push('', 'invariants: not checked (--url: the databases of that system are not ours to read)');
  }
  return lines.join('\n');
}

/** Two runs side by side: the default start and another shape, with the second's ratio to the first. */
export function formatComparison(base: LoadReport, other: LoadReport, labels: [string, string]): string {
  const ratio = (a: number, b: number) => (a === 0 ? '–' : `×${(b / a).toFixed(2)}`);
  const rows: [string, number, number][] = [
    ['requests/s', base.requestsPerSecond, other.requestsPerSecond],
    ['purchases/s', base.purchasesPerSecond, other.purchasesPerSecond],
    ['errors', base.errors, other.errors],
    ['commit → reservation p50 ms', base.commitToReservation.p50, other.commitToReservation.p50],
    ['commit → reservation p99 ms', base.commitToReservation.p99, other.commitToReservation.p99],
  ];
  for (const route of base.routes) {
    const o = other.routes.find((r) => r.route === route.route);
    if (!o) continue;
    rows.push([`${route.route} p50 ms`, route.p50, o.p50], [`${route.route} p99 ms`, route.p99, o.p99]);
  }
  const w = Math.max(...rows.map(([n]) => n.length)) + 2;
  const col = Math.max(14, ...labels.map((l) => l.length + 2));
  return [
    '',
    `${'side by side'.padEnd(w)}${labels[0].padStart(col)}${labels[1].padStart(col)}${'ratio'.padStart(10)}`,
    ...rows.map(
      ([name, a, b]) =>
        `${name.padEnd(w)}${String(a).padStart(col)}${String(b).padStart(col)}${ratio(a, b).padStart(10)}`,
    ),
    `${'invariants'.padEnd(w)}${(base.invariants?.problems.length === 0 ? 'hold' : 'BROKEN').padStart(col)}${(other.invariants?.problems.length === 0 ? 'hold' : 'BROKEN').padStart(col)}`,
  ].join('\n');
}

interface CliOptions extends LoadOptions {
  /** Run the default start first, then `shape`, and print both side by side. */
  compare: boolean;
  /** With `compare`: run `shape` before the default start. */
  shapeFirst: boolean;
}

function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = { seconds: 60, concurrency: 20, compare: false, shapeFirst: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--seconds') opts.seconds = Number(value());
    else if (flag === '--concurrency') opts.concurrency = Number(value());
    else if (flag === '--url') opts.url = value()?.replace(/\/+$/, '');
    else if (flag === '--replicas') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error('--replicas must be a whole number >= 1');
      opts.shape = { ...opts.shape, replicas: n };
    } else if (flag === '--nats-cluster') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 9)
        throw new Error('--nats-cluster takes a number of nodes from 1 to 9');
      opts.shape = { ...opts.shape, natsCluster: n };
    } else if (flag === '--compare') opts.compare = true;
    else if (flag === '--shape-first') opts.shapeFirst = true;
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(
        'usage: npm run load -- [--seconds 60] [--concurrency 20] [--url http://localhost:3000] [--replicas N] [--nats-cluster 3] [--compare [--shape-first]]\n' +
          '  --replicas N  boot N processes of every service behind the balancing gateway\n' +
          '  --nats-cluster N  boot N nats-servers as a JetStream cluster, the stream on N replicas\n' +
          '  --compare     run the default start, then the shape given, and print both side by side\n' +
          '  --shape-first with --compare: the shape first, then the default start\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (!(opts.seconds > 0) || !(opts.concurrency >= 1))
    throw new Error('--seconds and --concurrency must be positive numbers');
  if (opts.url && (opts.compare || opts.shape))
    throw new Error('--replicas, --nats-cluster and --compare boot their own systems: not with --url');
  if (opts.compare && !opts.shape)
    throw new Error('--compare needs a shape to compare (--replicas N, --nats-cluster 3)');
  return opts;
}

if (require.main === module) {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  let booted: RunningSystem | undefined;
  const interrupt = () => {
    process.stderr.write('load: interrupted, stopping\n');
    void (booted?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const failed = (r: LoadReport) => r.errors > 0 || (r.invariants?.problems.length ?? 0) > 0;
  const run = (shape: SystemShape | undefined) => {
    const print = (l: string) => process.stdout.write(`${l}\n`);
    if (options.compare) print(`\n=== ${describeShape(shape ?? {})} ===`);
    return runLoad({ ...options, shape, onSystem: (s) => (booted = s) });
  };
  const runs = options.compare
    ? (async () => {
        // One after the other on the same machine: two systems at once would measure each other.
        let base: LoadReport;
        let other: LoadReport;
        if (options.shapeFirst) {
          other = await run(options.shape);
          base = await run(undefined);
        } else {
          base = await run(undefined);
          other = await run(options.shape);
        }
        process.stdout.write(
          `${formatComparison(base, other, ['default', describeShape(options.shape!)])}\n`,
        );
        return [base, other];
      })()
    : run(options.shape).then((r) => [r]);
  runs.then(
    (reports) => process.exit(reports.some(failed) ? 1 : 0),
    (err: unknown) => {
      process.stderr.write(`load: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
