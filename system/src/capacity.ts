/**
 * `--find-capacity`: the open-loop rate is stepped up until a step fails (a route's p99 over the
 * bound, an error, or arrivals the generator could not start on time), and the highest rate that
 * held is the system's capacity. Here the steps' logic; the load generator (load.ts) measures them.
 */
import { formatCpu, type LoadReport } from './load-report';

export interface CapacityLimits {
  /** A step fails when any route's p99 exceeds this. Default 250 ms. */
  p99Ms: number;
  /**
   * A step fails when more than this share of its arrivals started late (the generator lagged:
   * one GC pause on a shared machine should not end the search; a late arrival's latency still
   * counts from its intended start). Default 0.01.
   */
  lateShare: number;
}

export const DEFAULT_LIMITS: CapacityLimits = { p99Ms: 250, lateShare: 0.01 };

export interface CapacityPlan {
  /** Arrivals per second of the first step. Default 20. */
  startRate: number;
  /** Added at each step. Default 20. */
  stepRate: number;
  /** Seconds each step is measured. Default 20. */
  stepSeconds: number;
  /** The search stops here even if every step held. Default 5000. */
  maxRate: number;
}

export const DEFAULT_PLAN: CapacityPlan = { startRate: 20, stepRate: 20, stepSeconds: 20, maxRate: 5000 };

/** Whether one step held, and if not, why. */
export interface StepVerdict {
  held: boolean;
  reasons: string[];
}

export interface CapacityStep {
  rate: number;
  report: LoadReport;
  verdict: StepVerdict;
}

export interface CapacityResult {
  steps: CapacityStep[];
  /** The highest rate whose step held; undefined when the first step already failed. */
  highestHeld?: number;
  limits: CapacityLimits;
}

/** Judges one open-loop step's report against the limits. */
export function judgeStep(report: LoadReport, limits: CapacityLimits = DEFAULT_LIMITS): StepVerdict {
  const reasons: string[] = [];
  if (report.errors > 0) reasons.push(`${report.errors} errors`);
  for (const route of report.routes) {
    if (route.p99 > limits.p99Ms) reasons.push(`${route.route} p99 ${route.p99} ms > ${limits.p99Ms} ms`);
  }
  const arrivals = report.arrivals;
  if (arrivals) {
    if (arrivals.dropped > 0)
      reasons.push(
        `${arrivals.dropped} arrivals dropped (${arrivals.inFlightBound} flows already in flight)`,
      );
    if (arrivals.late > limits.lateShare * arrivals.scheduled)
      reasons.push(`${arrivals.late} of ${arrivals.scheduled} arrivals started late (the generator lagged)`);
  }
  return { held: reasons.length === 0, reasons };
}

/**
 * Measures a step at each rate from `startRate` up by `stepRate` until one fails or `maxRate`
 * is passed; `measure` runs one step at the given rate.
 */
export async function searchCapacity(
  measure: (rate: number) => Promise<LoadReport>,
  plan: Pick<CapacityPlan, 'startRate' | 'stepRate' | 'maxRate'>,
  limits: CapacityLimits = DEFAULT_LIMITS,
  onStep?: (step: CapacityStep) => void,
): Promise<CapacityResult> {
  const steps: CapacityStep[] = [];
  let highestHeld: number | undefined;
  for (let rate = plan.startRate; rate <= plan.maxRate; rate += plan.stepRate) {
    const report = await measure(rate);
    const step = { rate, report, verdict: judgeStep(report, limits) };
    steps.push(step);
    onStep?.(step);
    if (!step.verdict.held) break;
    highestHeld = rate;
  }
  return { steps, highestHeld, limits };
}

/** One line per step, then the verdict and the CPU table of the highest step that held. */
export function formatCapacity(result: CapacityResult): string {
  const worst = (r: LoadReport) => r.routes.reduce((w, s) => (s.p99 > w.p99 ? s : w), r.routes[0]!);
  const lines = [
    '',
    `find-capacity: a step holds while every route's p99 ≤ ${result.limits.p99Ms} ms, no request errs and the generator starts its arrivals on time`,
    `${'rate/s'.padStart(7)}${'req/s'.padStart(9)}${'errors'.padStart(8)}${'dropped'.padStart(9)}${'late'.padStart(6)}${'worst p99 ms'.padStart(14)}  ${'(route)'.padEnd(28)}verdict`,
  ];
  for (const { rate, report, verdict } of result.steps) {
    const w = report.routes.length ? worst(report) : undefined;
    lines.push(
      `${String(rate).padStart(7)}${String(report.requestsPerSecond).padStart(9)}${String(report.errors).padStart(8)}${String(report.arrivals?.dropped ?? 0).padStart(9)}${String(report.arrivals?.late ?? 0).padStart(6)}${String(w?.p99 ?? 0).padStart(14)}  ${(w?.route ?? '').padEnd(28)}${verdict.held ? 'held' : `FAILED: ${verdict.reasons.join('; ')}`}`,
    );
  }
  lines.push(
    '',
    result.highestHeld === undefined
      ? `capacity: below ${result.steps[0]?.rate ?? 0} arrivals/s (the first step failed)`
      : `capacity: ${result.highestHeld} arrivals/s held (${result.steps.find((s) => s.rate === result.highestHeld)!.report.requestsPerSecond} requests/s)`,
  );
  const held = result.steps.find((s) => s.rate === result.highestHeld);
  if (held?.report.cpu) lines.push('', `at ${held.rate} arrivals/s:`, ...formatCpu(held.report.cpu));
  return lines.join('\n');
}
