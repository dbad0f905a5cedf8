/**
 * The step logic of `--find-capacity`, on reports made the way the load generator makes them
 * (its window statistics fed request outcomes): which step holds, which fails and why, and where
 * the search stops.
 */
import { judgeStep, searchCapacity } from '../capacity';
import { WindowStats, type ArrivalStats, type LoadReport } from '../load-report';
import type { RequestRecord } from '../user';

/** A one-second open-loop window in which every request of `records` completed. */
function stepReport(records: RequestRecord[], arrivals: Partial<ArrivalStats> = {}): LoadReport {
  const stats = new WindowStats();
  for (const r of records) stats.observe(r);
  return stats.report(1, {
    mode: 'open',
    arrivals: {
      rate: records.length,
      spacing: 'poisson',
      scheduled: records.length,
      dropped: 0,
      late: 0,
      maxInFlight: 1,
      inFlightBound: 500,
      ...arrivals,
    },
  });
}

/** `n` answered requests of a route, their latencies spread evenly up to `maxMs`. */
const answered = (route: string, n: number, maxMs: number, status = 200): RequestRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    route,
    method: route.split(' ')[0]!,
    status,
    ms: ((i + 1) / n) * maxMs,
  }));

describe('a find-capacity step', () => {
  it('holds when every route answers within 250 ms at p99 and nothing errs', () => {
    const report = stepReport([
      ...answered('GET /api/tickets', 200, 240),
      ...answered('GET /api/tickets/:id', 100, 90),
    ]);

    expect(judgeStep(report)).toEqual({ held: true, reasons: [] });
  });

  it('fails when one route’s p99 exceeds 250 ms, naming the route', () => {
    const report = stepReport([
      ...answered('GET /api/tickets', 200, 100),
      ...answered('POST /api/orders', 200, 400, 201),
    ]);

    const verdict = judgeStep(report);

    expect(verdict.held).toBe(false);
    expect(verdict.reasons).toEqual([expect.stringContaining('POST /api/orders p99')]);
  });

  it('fails on a single error however fast the rest was', () => {
    const report = stepReport([
      ...answered('GET /api/tickets', 300, 20),
      ...answered('GET /api/tickets', 1, 5, 502),
    ]);

    expect(judgeStep(report)).toEqual({ held: false, reasons: ['1 errors'] });
  });

  it('fails when the generator dropped arrivals at its in-flight bound', () => {
    const report = stepReport(answered('GET /api/tickets', 100, 20), { dropped: 3 });

    expect(judgeStep(report).held).toBe(false);
  });

  it('tolerates a few late arrivals but fails when more than 1 % started late', () => {
    const records = answered('GET /api/tickets', 1000, 20);

    expect(judgeStep(stepReport(records, { late: 10 })).held).toBe(true);
    expect(judgeStep(stepReport(records, { late: 11 })).held).toBe(false);
  });
});

describe('the capacity search', () => {
  // A system whose latency grows with the rate: p99 crosses 250 ms between 120 and 140 arrivals/s.
  const measure = async (rate: number) => stepReport(answered('GET /api/tickets', rate, rate * 2));

  it('steps the rate up and reports the highest rate that held, stopping at the first failing step', async () => {
    const result = await searchCapacity(measure, { startRate: 20, stepRate: 20, maxRate: 1000 });

    expect(result.steps.map((s) => s.rate)).toEqual([20, 40, 60, 80, 100, 120, 140]);
    expect(result.steps.map((s) => s.verdict.held)).toEqual([true, true, true, true, true, true, false]);
    expect(result.highestHeld).toBe(120);
  });

  it('reports no capacity when the first step already fails', async () => {
    const result = await searchCapacity(measure, { startRate: 200, stepRate: 20, maxRate: 1000 });

    expect(result.steps).toHaveLength(1);
    expect(result.highestHeld).toBeUndefined();
  });

  it('stops at the highest rate asked for when every step holds', async () => {
    const result = await searchCapacity(measure, { startRate: 20, stepRate: 20, maxRate: 60 });

    expect(result.highestHeld).toBe(60);
  });
});
