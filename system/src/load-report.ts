/**
 * What one measured window of the load generator saw: the statistics it keeps while requests
 * complete, the report they become, and how the terminal shows it.
 */
import type { CpuWindow } from './cpu';
import type { InvariantReport } from './invariants';
import type { RequestRecord } from './user';

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

/** Open loop: what became of the arrivals the schedule called for. */
export interface ArrivalStats {
  /** Arrivals per second asked for. */
  rate: number;
  /** How the arrivals were spaced. */
  spacing: 'poisson';
  /** Arrivals the schedule called for within the window. */
  scheduled: number;
  /** Not started: the in-flight bound was reached (the generator could not keep up). */
  dropped: number;
  /** Started more than `LATE_ARRIVAL_MS` after their intended time (the generator itself lagged). */
  late: number;
  /** The most in flight at once. */
  maxInFlight: number;
  /** The bound on flows in flight. */
  inFlightBound: number;
}

/** The CPU each process used over the window, and the requests it served meanwhile. */
export interface CpuReport extends CpuWindow {
  /** Wall-clock seconds of the window. */
  wallSeconds: number;
  /** Every HTTP request sent in the window: the measured ones and the visibility polls. */
  requests: number;
}

export interface LoadReport {
  /** `closed`: virtual users each wait for their answer; `open`: arrivals at a set rate. */
  mode: 'closed' | 'open';
  seconds: number;
  /** Closed loop: the virtual users. */
  concurrency?: number;
  /** Open loop: the arrivals. */
  arrivals?: ArrivalStats;
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
  cpu?: CpuReport;
  invariants?: InvariantReport;
  settleMs?: number;
}

/** An arrival started this much after its intended time counts as late. */
export const LATE_ARRIVAL_MS = 100;

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

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round = (n: number) => Math.round(n * 10) / 10;

/** The counts of one measured window, kept as requests complete. */
export class WindowStats {
  private readonly latencies = new Map<string, number[]>();
  private readonly errorsByRoute = new Map<string, number>();
  private readonly toleratedByRoute = new Map<string, number>();
  readonly errorSamples: string[] = [];
  requests = 0;
  errors = 0;
  tolerated = 0;
  purchases = 0;
  reservations = 0;
  conflicts = 0;
  polls = 0;
  visibilityTimeouts = 0;
  readonly visible: number[] = [];

  constructor(private readonly tolerate: readonly number[] = []) {}

  /** Counts one request's outcome (`ms` from its intended start). */
  observe(r: RequestRecord): void {
    this.requests++;
    const list = this.latencies.get(r.route);
    if (list) list.push(r.ms);
    else this.latencies.set(r.route, [r.ms]);
    const expected = EXPECTED[r.route] ?? [200];
    if (expected.includes(r.status)) return;
    if (this.tolerate.includes(r.status)) {
      this.tolerated++;
      this.toleratedByRoute.set(r.route, (this.toleratedByRoute.get(r.route) ?? 0) + 1);
    } else {
      this.errors++;
      this.errorsByRoute.set(r.route, (this.errorsByRoute.get(r.route) ?? 0) + 1);
      if (this.errorSamples.length < 20)
        this.errorSamples.push(`${r.route} → ${r.status}${r.error ? ` ${r.error}` : ''}`);
    }
  }

  /** The window's report, over `elapsedSeconds` of wall-clock time. */
  report(
    elapsedSeconds: number,
    how: Pick<LoadReport, 'mode' | 'concurrency' | 'arrivals' | 'cpu'>,
  ): LoadReport {
    const routes: RouteStats[] = [...this.latencies]
      .map(([route, list]) => {
        const sorted = [...list].sort((a, b) => a - b);
        return {
          route,
          count: list.length,
          errors: this.errorsByRoute.get(route) ?? 0,
          tolerated: this.toleratedByRoute.get(route) ?? 0,
          p50: round(percentile(sorted, 50)),
          p99: round(percentile(sorted, 99)),
          max: round(sorted.at(-1) ?? 0),
        };
      })
      .sort((a, b) => b.count - a.count);
    const vis = [...this.visible].sort((a, b) => a - b);
    return {
      ...how,
      seconds: round(elapsedSeconds),
      requests: this.requests,
      requestsPerSecond: round(this.requests / elapsedSeconds),
      errors: this.errors,
      errorSamples: this.errorSamples,
      tolerated: this.tolerated,
      purchases: this.purchases,
      purchasesPerSecond: round(this.purchases / elapsedSeconds),
      reservations: this.reservations,
      conflicts: this.conflicts,
      routes,
      commitToReservation: {
        samples: vis.length,
        p50: round(percentile(vis, 50)),
        p99: round(percentile(vis, 99)),
        max: round(vis.at(-1) ?? 0),
        timeouts: this.visibilityTimeouts,
        polls: this.polls,
      },
    };
  }
}

/** The CPU table: seconds per process over the window, per 1,000 requests, and as a share of one core. */
export function formatCpu(cpu: CpuReport): string[] {
  const perThousand = (s: number) => (cpu.requests > 0 ? ((s / cpu.requests) * 1000).toFixed(3) : '–');
  const share = (s: number) => `${Math.round((s / cpu.wallSeconds) * 100)} %`;
  const w = Math.max(36, ...cpu.rows.map((r) => r.name.length + 2));
  const row = (name: string, pid: string, s: number) =>
    `${name.padEnd(w)}${pid.padStart(8)}${s.toFixed(2).padStart(9)}${perThousand(s).padStart(14)}${share(s).padStart(12)}`;
  const total = cpu.rows.reduce((sum, r) => sum + r.seconds, 0);
  return [
    `CPU over ${round(cpu.wallSeconds)} s and ${cpu.requests} requests (visibility polls included), from /proc:`,
    `${'process'.padEnd(w)}${'pid'.padStart(8)}${'cpu s'.padStart(9)}${'s / 1k req'.padStart(14)}${'of a core'.padStart(12)}`,
    ...[...cpu.rows].sort((a, b) => b.seconds - a.seconds).map((r) => row(r.name, String(r.pid), r.seconds)),
    row('all of the above', '', total),
    row("the whole machine (others' work too)", '', cpu.machineSeconds),
  ];
}

/** The report as the terminal shows it. */
export function formatReport(r: LoadReport): string {
  // The tolerated column only shows in runs that tolerate something (fault-injection tests).
  const tol = (v: string) => (r.tolerated > 0 ? v.padStart(11) : '');
  const how =
    r.mode === 'open' && r.arrivals
      ? `open loop: ${r.arrivals.rate} arrivals/s (${r.arrivals.spacing}) · ${r.arrivals.scheduled} arrivals · dropped ${r.arrivals.dropped} · late ${r.arrivals.late} · at most ${r.arrivals.maxInFlight} in flight (bound ${r.arrivals.inFlightBound})`
      : `closed loop: ${r.concurrency} virtual users`;
  const lines = [
    '',
    `duration ${r.seconds} s · ${how}`,
    `${r.requests} requests · ${r.requestsPerSecond} req/s · errors ${r.errors}${r.tolerated > 0 ? ` · tolerated ${r.tolerated}` : ''}`,
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
  if (r.mode === 'open')
    lines.push(
      '(open loop: a flow’s first request is timed from its intended start, so waiting behind a busy system counts)',
    );
  if (r.cpu) lines.push('', ...formatCpu(r.cpu));
  if (r.errorSamples.length) lines.push('', 'errors (sample):', ...r.errorSamples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/** The invariants' verdict, once the system has settled. */
export function formatInvariants(r: Pick<LoadReport, 'invariants' | 'settleMs'>): string {
  if (!r.invariants)
    return '\ninvariants: not checked (--url: the databases of that system are not ours to read)';
  const lines = [
    '',
    `invariants (system settled in ${r.settleMs} ms): ${r.invariants.problems.length === 0 ? 'all hold' : 'BROKEN'}`,
    `  orders ${r.invariants.figures.orders} · complete ${r.invariants.figures.completeOrders} · cancelled ${r.invariants.figures.cancelledOrders} · succeeded payments ${r.invariants.figures.succeededPayments} · tickets ${r.invariants.figures.tickets}`,
  ];
  for (const p of r.invariants.problems) lines.push(`  ✗ ${p}`);
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
