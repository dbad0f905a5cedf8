/**
 * `npm run load -- [flags]`: the load generator.
 *
 * Signed-in users run weighted flows through the gateway (browse much more than reserve, reserve
 * more than pay), and the generator prints requests/s, p50/p99 latency per route, errors,
 * purchases/s, the time from a committed order to its reservation being visible in the tickets
 * service (p50/p99), and the CPU seconds each process of the system used per 1,000 requests (from
 * /proc). Without --url it boots its own system (free ports, temp data, children at
 * LOG_LEVEL=warn and SCRYPT_N=1024 unless set) and, once the system is quiet, checks the
 * invariants on its databases. Before the clock starts the users sign up and a catalogue of
 * tickets is put on sale through the API, so the figures do not drift with the run's length.
 *
 * Flags:
 *   --seconds 60         length of the measured run
 *   --concurrency 20     closed loop: virtual users, each waiting for its answer before its next flow
 *   --rate N             open loop instead: N arrivals per second, Poisson-spaced (exponential gaps);
 *                        each starts a flow at its intended time whatever is still in flight, and the
 *                        flow's first request is timed from that intended time (no coordinated omission)
 *   --users 100          open loop: the signed-in users the arrivals pick from (closed: one per virtual user)
 *   --max-in-flight 500  open loop: flows in flight at most; an arrival beyond it is dropped and counted
 *   --catalogue 10000    tickets put on sale before the clock starts (0: none)
 *   --find-capacity      open loop stepped up until a step fails (any route's p99 over --p99-limit, any
 *                        error, arrivals dropped or late); reports the highest rate that held
 *     --start-rate 20 --step-rate 20 --step-seconds 20 --max-rate 5000 --p99-limit 250
 *   --url http://localhost:3000  a running system instead of booting one (no invariants, no CPU but ours)
 *   --replicas N         boot N processes of every service
 *   --nats-cluster N     boot N nats-servers as a JetStream cluster
 *   --compare            run the default start and the shape given one after the other, same load,
 *                        and print the two side by side (the hidden cost); --shape-first: the shape first
 * Exit code 1 on any error (outside --find-capacity, whose last step fails by design) or broken invariant.
 */
import {
  DEFAULT_LIMITS,
  DEFAULT_PLAN,
  formatCapacity,
  searchCapacity,
  type CapacityLimits,
  type CapacityPlan,
  type CapacityResult,
} from './capacity';
import { startCpuWindow, type MeteredProcess } from './cpu';
import { checkInvariants, waitForQuiescence } from './invariants';
import {
  formatComparison,
  formatInvariants,
  formatReport,
  LATE_ARRIVAL_MS,
  WindowStats,
  type LoadReport,
} from './load-report';
import { startSystem, type RunningSystem, type SystemOptions } from './system';
import { sleep, User, type RequestRecord, type Ticket } from './user';

export type { LoadReport, RouteStats } from './load-report';
export { formatComparison, formatReport } from './load-report';

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
  /** Closed loop: virtual users, each waiting for its answer before starting its next flow. Default 20. */
  concurrency?: number;
  /**
   * Open loop instead: arrivals per second (Poisson). Each arrival starts a flow for a random user
   * at its intended time, whether or not earlier ones finished.
   */
  rate?: number;
  /** Open loop: signed-in users the arrivals pick from. Default 100 (closed loop: `concurrency`). */
  users?: number;
  /** Open loop: flows in flight at most; an arrival beyond it is dropped and counted. Default 500. */
  maxInFlight?: number;
  /** Tickets put on sale through the API before the clock starts. Default two per user. */
  catalogue?: number;
  /** The booted system's shape (ignored with `url`). Default: one process of each. */
  shape?: SystemShape;
  /** A running gateway; when absent a system is booted for the run. */
  url?: string;
  /** Progress and report lines. */
  print?: (line: string) => void;
  /** Where the booted system's logs go (default: dropped). */
  systemLog?: (line: string) => void;
  /** Environment for the booted system (default process.env with SCRYPT_N=1024, LOG_LEVEL=warn). */
  env?: NodeJS.ProcessEnv;
  /** Called with the booted system (the CLI stops it on Ctrl-C). */
  onSystem?: (system: RunningSystem) => void;
  /**
   * Statuses any route may answer while a fault is injected on purpose (e.g. `[503]` while the
   * database is stopped): counted in `tolerated`, not as errors.
   */
  tolerateStatuses?: number[];
  /** Called once the measured run starts (users signed up, catalogue on sale). */
  onStart?: () => void;
  /** Called with every measured request's outcome, as it completes. */
  onRequest?: (r: RequestRecord) => void;
}

const DEFAULT_CONCURRENCY = 20;

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
type Flow = (typeof FLOWS)[number][1];
const TOTAL_WEIGHT = FLOWS.reduce((s, [w]) => s + w, 0);

function pickFlow(): Flow {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const [w, name] of FLOWS) {
    if ((r -= w) < 0) return name;
  }
  return 'browse';
}

const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(Math.random() * list.length)];

/** Browsing: a page of this many tickets; sometimes the next page, sometimes a search instead. */
const PAGE_SIZE = 24;
const NEXT_PAGE_SHARE = 0.3;
const MAX_PAGES = 4;
const SEARCH_SHARE = 0.2;
/** Seeded titles are "<word> <kind> #<n>"; searches ask for one of the words. */
const TITLE_WORDS = [
  'Jazz',
  'Opera',
  'Rock',
  'Blues',
  'Ballet',
  'Comedy',
  'Symphony',
  'Folk',
  'Techno',
  'Theatre',
];
const TITLE_KINDS = ['Night', 'Matinee', 'Festival', 'Live', 'Gala'];
/** Tickets put on sale at once while seeding the catalogue. */
const SEEDING_IN_FLIGHT = 16;

/** The `rel="next"` target of a Link header (RFC 8288) as a path on the gateway, if there is one. */
export function nextPageLink(header: string | null): string | undefined {
  for (const m of (header ?? '').matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    if (/(^|;)\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2]!)) {
      const url = new URL(m[1]!, 'http://gateway');
      return `${url.pathname}${url.search}`;
    }
  }
  return undefined;
}

/** One measured window: a closed loop of virtual users, or open-loop arrivals at a rate. */
type LoadWindow = { seconds: number } & ({ concurrency: number } | { rate: number; maxInFlight: number });

interface LoadSession {
  baseUrl: string;
  system?: RunningSystem;
  measure(window: LoadWindow, onStart?: () => void): Promise<LoadReport>;
  /** Waits for the booted system to settle and checks its invariants (nothing with `url`). */
  settle(): Promise<Pick<LoadReport, 'invariants' | 'settleMs'>>;
  stop(): Promise<void>;
}

/** The processes whose CPU the report shows: ours, and with a booted system every one of it. */
function meteredProcesses(system: RunningSystem | undefined): MeteredProcess[] {
  // The local gateway is a server inside this process: /proc cannot tell the two apart.
  const self: MeteredProcess = {
    name: system ? 'load generator + gateway (one process)' : 'load generator',
    pid: () => process.pid,
  };
  if (!system) return [self];
  const nats: MeteredProcess[] = system.nats.cluster
    ? system.nats.cluster.nodes.map((n) => ({ name: `nats-server ${n.name}`, pid: () => n.pid() ?? -1 }))
    : system.nats.owned
      ? [{ name: 'nats-server', pid: () => system.nats.pid() ?? -1 }]
      : [];
  return [
    self,
    ...Object.values(system.replicas)
      .flat()
      .map((p) => ({ name: p.name, pid: () => p.pid })),
    ...(system.client ? [{ name: 'client', pid: () => system.client!.pid }] : []),
    ...nats,
    ...(system.postgres
      ? [{ name: 'PostgreSQL (all its processes)', pid: () => system.postgres!.pid, tree: true }]
      : []),
  ];
}

/** Boots the system (unless `url`), signs the users up and puts the catalogue on sale. */
async function openSession(options: LoadOptions): Promise<LoadSession> {
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  let system: RunningSystem | undefined;
  let baseUrl = options.url;
  if (!baseUrl) {
    print(
      `booting a system for the run (${describeShape(options.shape ?? {})}; free ports, temp data; SCRYPT_N=1024, LOG_LEVEL=warn unless set) ...`,
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
        // Every child's log line passes through this process: at warn there are next to none.
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
      log: options.systemLog ?? (() => undefined),
    });
    baseUrl = system.gatewayUrl;
    options.onSystem?.(system);
    print(`system up in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${baseUrl}`);
  }
  const gatewayUrl = baseUrl;

  try {
    // Requests count in the window being measured, none outside one.
    let window: WindowStats | undefined;
    const observe = (r: RequestRecord) => {
      if (!window) return;
      window.observe(r);
      options.onRequest?.(r);
    };

    // Users sign up before the clock starts. Not measured: a 503 here (a database connection slow
    // to open on a loaded machine) is retried, as its Retry-After invites.
    const userCount = options.rate
      ? (options.users ?? 100)
      : Math.max(options.users ?? 0, options.concurrency ?? DEFAULT_CONCURRENCY);
    const users: User[] = [];
    for (let i = 0; i < userCount; i += 10) {
      users.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, userCount - i) }, () =>
            new User(gatewayUrl, observe).signUpWhenAvailable(),
          ),
        )),
      );
    }

    // The catalogue, through the API (each ticket's event reaches the orders service as in real use).
    const catalogue = options.catalogue ?? 2 * users.length;
    if (catalogue > 0) {
      const t0 = Date.now();
      print(`putting ${catalogue} tickets on sale ...`);
      let next = 0;
      const seed = async () => {
        while (next < catalogue) {
          const i = next++;
          const seller = users[i % users.length]!;
          const title = `${TITLE_WORDS[i % TITLE_WORDS.length]} ${TITLE_KINDS[Math.floor(i / TITLE_WORDS.length) % TITLE_KINDS.length]} #${i}`;
          const price = 10 + (i % 90);
          const deadline = Date.now() + 30_000;
          let r = await seller.createTicket(title, price);
          while ((r.status === 503 || r.status === 0) && Date.now() < deadline) {
            await sleep(100);
            r = await seller.createTicket(title, price);
          }
          if (r.status !== 201)
            throw new Error(`putting a ticket on sale answered ${r.status}: ${JSON.stringify(r.body)}`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(SEEDING_IN_FLIGHT, catalogue) }, seed));
      print(`catalogue on sale in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    if (system) {
      // The catalogue's events reach the orders service before the clock starts, not during it.
      const settled = await waitForQuiescence(system.postgresUrl, 300_000);
      print(`system settled in ${(settled / 1000).toFixed(1)} s`);
    }

    const anonymous = new User(gatewayUrl);
    // What each user (by id) last saw of the list, and its unpaid orders, oldest first.
    const lastSeen = new Map<string, Ticket[]>();
    const unpaidOrders = new Map<string, string[]>();

    const browse = async (u: User): Promise<Ticket[]> => {
      const word = Math.random() < SEARCH_SHARE ? pick(TITLE_WORDS)!.toLowerCase() : undefined;
      let r = await u.request<Ticket[]>(
        'GET',
        `/api/tickets?limit=${PAGE_SIZE}${word ? `&q=${word}` : ''}`,
        undefined,
        'GET /api/tickets',
      );
      let seen = r.status === 200 && Array.isArray(r.body) ? r.body : [];
      for (let page = 1; page < MAX_PAGES && seen.length && Math.random() < NEXT_PAGE_SHARE; page++) {
        const next = nextPageLink(r.headers.get('link'));
        if (!next) break;
        r = await u.request<Ticket[]>('GET', next, undefined, 'GET /api/tickets');
        if (r.status === 200 && Array.isArray(r.body) && r.body.length) seen = r.body;
      }
      if (seen.length) lastSeen.set(u.id, seen);
      return seen;
    };

    const reserve = async (u: User, pay: boolean, stats: WindowStats) => {
      const forSale = (list: Ticket[]) => list.filter((t) => t.userId !== u.id && !t.orderId);
      let candidates = forSale(lastSeen.get(u.id) ?? []);
      if (candidates.length === 0) candidates = forSale(await browse(u));
      const ticket = pick(candidates);
      if (!ticket) return;
      // Whatever the answer, this user will not try that ticket again from the same page.
      lastSeen.set(
        u.id,
        (lastSeen.get(u.id) ?? []).filter((t) => t.id !== ticket.id),
      );
      const order = await u.createOrderWhenKnown(ticket.id, 10_000);
      if (order.status === 400) stats.conflicts++;
      if (order.status === 429) {
        // What the answer asks of a buyer: pay or cancel an unpaid order first.
        const oldest = unpaidOrders.get(u.id)?.shift();
        if (oldest) await u.cancelOrder(oldest);
        return;
      }
      if (order.status !== 201) return;
      stats.reservations++;
      const committedAt = performance.now();
      // Commit → visible: the order is committed before its 201; poll tickets until it shows the reservation.
      const deadline = Date.now() + 30_000;
      for (;;) {
        stats.polls++;
        const t = await anonymous.getTicket(ticket.id);
        if (t.status === 200 && t.body.orderId === order.body.id) {
          stats.visible.push(performance.now() - committedAt);
          break;
        }
        if (Date.now() > deadline) {
          stats.visibilityTimeouts++;
          break;
        }
        // 20 ms between polls: fine enough for the figure, light enough not to become the load.
        await sleep(20);
      }
      if (pay) {
        const paid = await u.payWhenKnown(order.body.id, 'tok_visa', 30_000);
        if (paid.status === 201) stats.purchases++;
      } else if (Math.random() < 0.25) {
        await u.cancelOrder(order.body.id);
      } else {
        unpaidOrders.set(u.id, [...(unpaidOrders.get(u.id) ?? []), order.body.id]);
      }
    };

    const runFlow = async (flow: Flow, u: User, stats: WindowStats) => {
      switch (flow) {
        case 'browse':
          await browse(u);
          break;
        case 'view': {
          const t = pick(lastSeen.get(u.id) ?? []);
          if (t) await u.getTicket(t.id);
          else await browse(u);
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
            `${pick(TITLE_WORDS)} ${pick(TITLE_KINDS)} ${Math.random().toString(36).slice(2, 8)}`,
            Math.round((5 + Math.random() * 95) * 100) / 100,
          );
          break;
        case 'reserve':
          await reserve(u, false, stats);
          break;
        case 'reserveAndPay':
          await reserve(u, true, stats);
          break;
      }
    };

    const closedLoop = async (concurrency: number, seconds: number, stats: WindowStats) => {
      const until = Date.now() + seconds * 1000;
      const virtualUser = async (u: User) => {
        while (Date.now() < until) await runFlow(pickFlow(), u, stats);
      };
      await Promise.all(users.slice(0, concurrency).map(virtualUser));
    };

    const openLoop = async (rate: number, maxInFlight: number, seconds: number, stats: WindowStats) => {
      const arrivals = {
        rate,
        spacing: 'poisson' as const,
        scheduled: 0,
        dropped: 0,
        late: 0,
        maxInFlight: 0,
        inFlightBound: maxInFlight,
      };
      const gap = () => (-Math.log(1 - Math.random()) / rate) * 1000;
      let inFlight = 0;
      let drained: () => void = () => undefined;
      const arrive = async (intended: number) => {
        const u = pick(users)!;
        let first = true;
        // The flow's first request is timed from the arrival's intended start: waiting counts.
        const timed = u.withObserver((r) => {
          if (first) {
            first = false;
            observe({ ...r, ms: performance.now() - intended });
          } else observe(r);
        });
        try {
          await runFlow(pickFlow(), timed, stats);
        } catch (err) {
          observe({ route: 'flow', method: '', status: 0, ms: 0, error: String(err) });
        }
      };
      const started = performance.now();
      const end = started + seconds * 1000;
      let next = started + gap();
      while (next < end) {
        const wait = next - performance.now();
        if (wait > 1) await sleep(wait);
        const now = performance.now();
        // Every arrival whose time has come (several when the timer fired late), each at its own time.
        for (; next <= now && next < end; next += gap()) {
          arrivals.scheduled++;
          if (now - next > LATE_ARRIVAL_MS) arrivals.late++;
          if (inFlight >= maxInFlight) {
            arrivals.dropped++;
            continue;
          }
          inFlight++;
          arrivals.maxInFlight = Math.max(arrivals.maxInFlight, inFlight);
          void arrive(next).finally(() => {
            if (--inFlight === 0) drained();
          });
        }
      }
      // The window ends once the last arrival's flow has finished.
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      return arrivals;
    };

    return {
      baseUrl: gatewayUrl,
      system,
      async measure(w, onStart) {
        const stats = new WindowStats(options.tolerateStatuses);
        const cpu = startCpuWindow(meteredProcesses(system));
        window = stats;
        onStart?.();
        const t0 = performance.now();
        let how: Pick<LoadReport, 'mode' | 'concurrency' | 'arrivals'>;
        if ('rate' in w) {
          how = { mode: 'open', arrivals: await openLoop(w.rate, w.maxInFlight, w.seconds, stats) };
        } else {
          await closedLoop(w.concurrency, w.seconds, stats);
          how = { mode: 'closed', concurrency: w.concurrency };
        }
        window = undefined;
        const elapsed = (performance.now() - t0) / 1000;
        const used = cpu.end();
        return stats.report(elapsed, {
          ...how,
          cpu: { ...used, wallSeconds: elapsed, requests: stats.requests + stats.polls },
        });
      },
      async settle() {
        if (!system) return {};
        print('waiting for the system to settle, then checking the invariants ...');
        const settleMs = await waitForQuiescence(system.postgresUrl, 120_000);
        return { settleMs, invariants: await checkInvariants(system.postgresUrl) };
      },
      stop: async () => {
        await system?.stop();
      },
    };
  } catch (err) {
    await system?.stop();
    throw err;
  }
}

/** The window `options` ask for: open loop with `rate`, else closed. */
function windowOf(options: LoadOptions): LoadWindow {
  return options.rate
    ? { seconds: options.seconds, rate: options.rate, maxInFlight: options.maxInFlight ?? 500 }
    : { seconds: options.seconds, concurrency: options.concurrency ?? DEFAULT_CONCURRENCY };
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const session = await openSession(options);
  try {
    const w = windowOf(options);
    print(
      'rate' in w
        ? `running ${w.rate} arrivals/s for ${w.seconds} s against ${session.baseUrl} ...`
        : `running ${w.concurrency} virtual users for ${w.seconds} s against ${session.baseUrl} ...`,
    );
    const report = await session.measure(w, options.onStart);
    Object.assign(report, await session.settle());
    print(formatReport(report));
    print(formatInvariants(report));
    return report;
  } finally {
    await session.stop();
  }
}

export interface CapacityOptions extends Omit<LoadOptions, 'rate' | 'seconds' | 'onStart'> {
  plan?: Partial<CapacityPlan>;
  limits?: Partial<CapacityLimits>;
}

/** `--find-capacity`: one system, one catalogue, open-loop steps at rising rates; invariants at the end. */
export async function findCapacity(
  options: CapacityOptions,
): Promise<CapacityResult & Pick<LoadReport, 'invariants' | 'settleMs'>> {
  const print = options.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const plan = { ...DEFAULT_PLAN, ...options.plan };
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const session = await openSession({ ...options, seconds: plan.stepSeconds, rate: plan.startRate });
  try {
    const result = await searchCapacity(
      async (rate) => {
        if (session.system) {
          // Each step starts from a quiet system: no backlog of the last one is counted against it.
          await waitForQuiescence(session.system.postgresUrl, 60_000).catch((err: Error) =>
            print(`(not settled before the step: ${err.message})`),
          );
        }
        print(`\n=== step: ${rate} arrivals/s for ${plan.stepSeconds} s ===`);
        const report = await session.measure({
          seconds: plan.stepSeconds,
          rate,
          maxInFlight: options.maxInFlight ?? 500,
        });
        print(formatReport(report));
        return report;
      },
      plan,
      limits,
      (step) =>
        print(
          `\nstep ${step.rate}/s: ${step.verdict.held ? 'held' : `failed (${step.verdict.reasons.join('; ')})`}`,
        ),
    );
    const settled = await session.settle();
    print(formatCapacity(result));
    print(formatInvariants(settled));
    return { ...result, ...settled };
  } finally {
    await session.stop();
  }
}

interface CliOptions extends LoadOptions {
  /** Run the default start first, then `shape`, and print both side by side. */
  compare: boolean;
  /** With `compare`: run `shape` before the default start. */
  shapeFirst: boolean;
  findCapacity: boolean;
  plan: Partial<CapacityPlan>;
  limits: Partial<CapacityLimits>;
}

const USAGE = `usage: npm run load -- [--seconds 60] [--concurrency 20 | --rate N [--users 100] [--max-in-flight 500]]
                     [--catalogue 10000] [--url http://localhost:3000] [--replicas N] [--nats-cluster 3]
                     [--compare [--shape-first]]
       npm run load -- --find-capacity [--start-rate 20] [--step-rate 20] [--step-seconds 20]
                     [--max-rate 5000] [--p99-limit 250] [--users 100] [--catalogue 10000] [...shape]
  --concurrency N   closed loop: N virtual users, each waiting for its answer
  --rate N          open loop: N arrivals/s (Poisson), latency from each arrival's intended start
  --users N         open loop: signed-in users the arrivals pick from
  --max-in-flight N open loop: flows in flight at most (more arrivals are dropped and counted)
  --catalogue N     tickets put on sale through the API before the clock starts (0: none)
  --find-capacity   step the open-loop rate up until a route's p99 exceeds --p99-limit ms, a request
                    errs or arrivals are dropped/late; report the highest rate that held
  --replicas N      boot N processes of every service behind the balancing gateway
  --nats-cluster N  boot N nats-servers as a JetStream cluster, the stream on N replicas
  --compare         run the default start, then the shape given, and print both side by side
  --shape-first     with --compare: the shape first, then the default start
`;

function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = {
    seconds: 60,
    catalogue: 10_000,
    compare: false,
    shapeFirst: false,
    findCapacity: false,
    plan: {},
    limits: {},
  };
  const positive = (flag: string, v: string | undefined, whole = true) => {
    const n = Number(v);
    if (!(n > 0) || (whole && !Number.isInteger(n)))
      throw new Error(`${flag} takes a ${whole ? 'whole ' : ''}number > 0`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--seconds') opts.seconds = positive(flag, value(), false);
    else if (flag === '--concurrency') opts.concurrency = positive(flag, value());
    else if (flag === '--rate') opts.rate = positive(flag, value(), false);
    else if (flag === '--users') opts.users = positive(flag, value());
    else if (flag === '--max-in-flight') opts.maxInFlight = positive(flag, value());
    else if (flag === '--catalogue') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) throw new Error('--catalogue takes a whole number >= 0');
      opts.catalogue = n;
    } else if (flag === '--find-capacity') opts.findCapacity = true;
    else if (flag === '--start-rate') opts.plan.startRate = positive(flag, value(), false);
    else if (flag === '--step-rate') opts.plan.stepRate = positive(flag, value(), false);
    else if (flag === '--step-seconds') opts.plan.stepSeconds = positive(flag, value(), false);
    else if (flag === '--max-rate') opts.plan.maxRate = positive(flag, value(), false);
    else if (flag === '--p99-limit') opts.limits.p99Ms = positive(flag, value(), false);
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
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  if (opts.url && (opts.compare || opts.shape))
    throw new Error('--replicas, --nats-cluster and --compare boot their own systems: not with --url');
  if (opts.compare && !opts.shape)
    throw new Error('--compare needs a shape to compare (--replicas N, --nats-cluster 3)');
  if (opts.findCapacity && (opts.compare || opts.rate))
    throw new Error(
      '--find-capacity chooses its own rates and runs one system: not with --rate or --compare',
    );
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
  const broken = (r: Pick<LoadReport, 'invariants'>) => (r.invariants?.problems.length ?? 0) > 0;
  const failed = (r: LoadReport) => r.errors > 0 || broken(r);
  const run = (shape: SystemShape | undefined) => {
    const print = (l: string) => process.stdout.write(`${l}\n`);
    if (options.compare) print(`\n=== ${describeShape(shape ?? {})} ===`);
    return runLoad({ ...options, shape, onSystem: (s) => (booted = s) });
  };
  const outcome: Promise<boolean> = options.findCapacity
    ? findCapacity({ ...options, onSystem: (s) => (booted = s) }).then((r) => !broken(r))
    : options.compare
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
          return !failed(base) && !failed(other);
        })()
      : run(options.shape).then((r) => !failed(r));
  outcome.then(
    (ok) => process.exit(ok ? 0 : 1),
    (err: unknown) => {
      process.stderr.write(`load: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
