/**
 * The load generator's open loop against its own system: arrivals keep coming at their rate while
 * the tickets service is frozen (SIGSTOP) for a second, each is timed from its intended start, so
 * the queueing shows in the figures; the report names every process's CPU; the invariants hold.
 */
import { runLoad, type LoadReport } from '../load';
import type { RunningSystem } from '../system';
import { sleep, type RequestRecord } from '../user';

const RATE = 20;
const FREEZE_AFTER_MS = 1_500;
const FREEZE_MS = 1_000;

describe('npm run load -- --rate 20 (5 s, tickets frozen for 1 s)', () => {
  let report: LoadReport;
  let system: RunningSystem | undefined;
  const records: (RequestRecord & { endedAt: number })[] = [];
  let frozenAt = 0;
  let thawedAt = 0;

  beforeAll(async () => {
    let freezing: Promise<void> = Promise.resolve();
    const lines: string[] = [];
    report = await runLoad({
      seconds: 5,
      rate: RATE,
      users: 10,
      catalogue: 40,
      print: (l) => lines.push(l),
      onSystem: (s) => (system = s),
      onStart: () => {
        freezing = (async () => {
          await sleep(FREEZE_AFTER_MS);
          const tickets = system!.services.tickets;
          frozenAt = performance.now();
          tickets.pause();
          try {
            await sleep(FREEZE_MS);
          } finally {
            tickets.resume();
            thawedAt = performance.now();
          }
        })();
      },
      onRequest: (r) => records.push({ ...r, endedAt: performance.now() }),
    });
    await freezing;
    console.log(lines.join('\n'));
  });

  it('keeps the arrivals coming while a service is frozen and times them from their intended start', () => {
    // Requests to the tickets service meant to start well inside the freeze (a flow's first request
    // is timed from its arrival's intended start: startedAt is that time).
    const meantDuringFreeze = records
      .filter((r) => r.route.includes('/api/tickets'))
      .map((r) => ({ ...r, startedAt: r.endedAt - r.ms }))
      .filter((r) => r.startedAt > frozenAt + 50 && r.startedAt < thawedAt - 50);

    // About RATE × 0.9 s × three quarters of the flows; a closed loop would have stopped at its users.
    expect(meantDuringFreeze.length).toBeGreaterThanOrEqual(5);
    // None was answered before tickets could answer again: each one's latency holds its wait.
    for (const r of meantDuringFreeze) expect(r.endedAt).toBeGreaterThanOrEqual(thawedAt);
    expect(Math.max(...meantDuringFreeze.map((r) => r.ms))).toBeGreaterThan(FREEZE_MS * 0.8);
    expect(report.arrivals?.dropped).toBe(0);
    expect(report.errorSamples).toEqual([]);
  });

  it('reports the CPU each process of the system used', () => {
    const names = report.cpu!.rows.map((r) => r.name);

    expect(names).toEqual(
      expect.arrayContaining([
        'load generator + gateway (one process)',
        'auth',
        'tickets',
        'orders',
        'expiration',
        'payments',
        'nats-server',
        'PostgreSQL (all its processes)',
      ]),
    );
    expect(report.cpu!.rows.find((r) => r.name === 'tickets')!.seconds).toBeGreaterThan(0);
    expect(report.cpu!.rows.find((r) => r.name.startsWith('PostgreSQL'))!.seconds).toBeGreaterThan(0);
  });

  it('keeps every invariant', () => {
    expect(report.invariants?.problems).toEqual([]);
  });
});
