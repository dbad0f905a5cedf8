/**
 * What tracing costs the whole system: `npm run load` throughput with tracing on (as `npm start`
 * runs it: every span of every service and of the gateway written to `<data>/traces/*.jsonl`)
 * against tracing off (OTEL_SDK_DISABLED=true).
 *
 *   npm run build && npx tsx bench/tracing.ts [--seconds 30] [--concurrency 20] [--rounds 3]
 *
 * Side by side: each round boots two systems, one with tracing and one without, each with its own
 * load generator in its own process, and runs both loads at the same time. Whatever else the
 * machine is doing then weighs on both alike, which sequential runs on a shared machine cannot
 * promise. The figure is tracing on / off of the requests/s summed over the rounds; the bar is 0.9.
 * Each round's ratio, their median and the lowest are printed too, to show how far one round can
 * be trusted. Beside them, the CPU time each system spent per request during the load (from /proc
 * through system/src/cpu.ts, Linux): what tracing costs in work, which depends less on how busy the
 * machine is than throughput does.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { startCpuWindow, type MeteredProcess } from '../system/src/cpu';
import { runLoad } from '../system/src/load';
import { startSystem, type RunningSystem } from '../system/src/system';
import { spawnTsxChild } from './tsx-child';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = arg('--seconds', 30);
const CONCURRENCY = arg('--concurrency', 20);
const ROUNDS = arg('--rounds', 3);

/** Where a system's CPU time goes: its five services, this process (gateway and load generator), the rest. */
const CPU_GROUPS = ['services', 'gateway + load', 'postgres + nats'] as const;
type CpuGroup = (typeof CPU_GROUPS)[number];

interface Result {
  tracing: boolean;
  requests: number;
  seconds: number;
  purchases: number;
  errors: number;
  p99: Record<string, number>;
  /** CPU milliseconds used during the load, by group. */
  cpuMs: Record<CpuGroup, number>;
  /** CPU milliseconds used during the load by each service (where tracing's cost lands). */
  serviceCpuMs: Record<string, number>;
}

/** The system's processes, by CPU group: the five services, this process, PostgreSQL's tree and NATS. */
function meteredProcesses(system: RunningSystem): { group: CpuGroup; process: MeteredProcess }[] {
  return [
    // The local gateway is a server inside this process, with the load generator: /proc cannot split them.
    { group: 'gateway + load', process: { name: 'gateway + load', pid: () => process.pid } },
    ...Object.values(system.replicas)
      .flat()
      .map((p) => ({ group: 'services' as const, process: { name: p.name, pid: () => p.pid } })),
    { group: 'postgres + nats', process: { name: 'nats-server', pid: () => system.nats.pid() ?? -1 } },
    ...(system.postgres
      ? [
          {
            group: 'postgres + nats' as const,
            process: { name: 'PostgreSQL', pid: () => system.postgres!.pid, tree: true },
          },
        ]
      : []),
  ];
}

/** Child: boots one system, says `ready`, runs the load when told `go`, sends its result back. */
async function child(tracing: boolean): Promise<void> {
  const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
  const system = await startSystem({
    ephemeral: true,
    gatewayPort: 0,
    gatewayHost: '127.0.0.1',
    client: false,
    durablePostgres: true,
    env: { ...process.env, SCRYPT_N: '1024', LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: String(!tracing) },
    log: () => undefined,
  });
  // The parent went away: stop the system rather than leave it running.
  process.once('disconnect', () => void system.stop().finally(() => process.exit(1)));
  try {
    process.send!('ready');
    await go;
    const metered = meteredProcesses(system);
    let window = startCpuWindow(metered.map((m) => m.process));
    const report = await runLoad({
      url: system.gatewayUrl,
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      print: () => undefined,
      // From the measured run's start: sign-up and warm-up are not the load.
      onStart: () => (window = startCpuWindow(metered.map((m) => m.process))),
    });
    const used = window.end();
    const cpuMs: Record<CpuGroup, number> = { services: 0, 'gateway + load': 0, 'postgres + nats': 0 };
    const serviceCpuMs: Record<string, number> = {};
    used.rows.forEach((row, i) => {
      cpuMs[metered[i]!.group] += row.seconds * 1000;
      if (metered[i]!.group === 'services') serviceCpuMs[row.name] = row.seconds * 1000;
    });
    const result: Result = {
      tracing,
      requests: report.requests,
      seconds: report.seconds,
      purchases: report.purchases,
      errors: report.errors,
      p99: Object.fromEntries(report.routes.map((r) => [r.route, r.p99])),
      cpuMs,
      serviceCpuMs,
    };
    process.send!(result);
  } finally {
    await system.stop();
  }
  process.exit(0);
}

function startChild(tracing: boolean): { proc: ChildProcess; ready: Promise<void>; result: Promise<Result> } {
  const proc = spawnTsxChild(__filename, [...args, '--child', tracing ? 'on' : 'off']);
  let readyResolve!: () => void;
  let resultResolve!: (r: Result) => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const result = new Promise<Result>((resolve, reject) => {
    resultResolve = resolve;
    proc.once('exit', (code) => reject(new Error(`tracing ${tracing ? 'on' : 'off'} run exited ${code}`)));
  });
  proc.on('message', (m: unknown) => {
    if (m === 'ready') readyResolve();
    else resultResolve(m as Result);
  });
  return { proc, ready, result };
}

/** CPU milliseconds per request of one service over the rounds given. */
function serviceCpuPerRequest(list: Result[], service: string): number {
  const ms = list.reduce((a, r) => a + (r.serviceCpuMs[service] ?? 0), 0);
  return ms / list.reduce((a, r) => a + r.requests, 0);
}

/** Two-sided 95 % Student's t for 1 to 10 degrees of freedom; 1.96 past that. */
const T95 = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23];

/**
 * The mean of the rounds' ratios and its 95 % interval: side by side, one round can split the two
 * cores unevenly between the systems, so a single run's figure says little without its spread.
 */
function meanWithInterval(values: number[]): { mean: number; low: number; high: number } {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  if (values.length < 2) return { mean, low: mean, high: mean };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  const half = (T95[values.length - 2] ?? 1.96) * Math.sqrt(variance / values.length);
  return { mean, low: mean - half, high: mean + half };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CPU milliseconds per request over the rounds given, of one group or all. */
function cpuPerRequest(list: Result[], group?: CpuGroup): number {
  const groups: readonly CpuGroup[] = group ? [group] : CPU_GROUPS;
  const ms = list.reduce((a, r) => a + groups.reduce((b, g) => b + r.cpuMs[g], 0), 0);
  return ms / list.reduce((a, r) => a + r.requests, 0);
}

async function main(): Promise<void> {
  const results: Result[] = [];
  const roundRatios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which one boots first.
    const order = r % 2 === 0 ? [false, true] : [true, false];
    const runs = order.map((tracing) => startChild(tracing));
    await Promise.all(runs.map((run) => run.ready));
    for (const run of runs) run.proc.send('go');
    const round = await Promise.all(runs.map((run) => run.result));
    await Promise.all(runs.map((run) => (run.proc.exitCode === null ? once(run.proc, 'exit') : undefined)));
    round.sort((a) => (a.tracing ? 1 : -1));
    results.push(...round);
    const [off, on] = round as [Result, Result];
    roundRatios.push(on.requests / on.seconds / (off.requests / off.seconds));
    process.stdout.write(
      `round ${r + 1}: off ${(off.requests / off.seconds).toFixed(1)} requests/s, on ${(on.requests / on.seconds).toFixed(1)} requests/s, ratio ${roundRatios[r]!.toFixed(3)}, CPU ms/request ${cpuPerRequest([off]).toFixed(2)}/${cpuPerRequest([on]).toFixed(2)}, errors ${off.errors}/${on.errors}, load average ${os.loadavg()[0]!.toFixed(1)}\n`,
    );
  }
  const side = (tracing: boolean) => results.filter((r) => r.tracing === tracing);
  const sum = (list: Result[], f: (r: Result) => number) => list.reduce((a, r) => a + f(r), 0);
  const rate = (list: Result[], f: (r: Result) => number) => sum(list, f) / sum(list, (r) => r.seconds);
  const worstP99 = (list: Result[], route: string) => Math.max(...list.map((r) => r.p99[route] ?? 0));
  const cpuRow = (group: CpuGroup) =>
    `| CPU ms per request: ${group} | ${cpuPerRequest(off, group).toFixed(2)} | ${cpuPerRequest(on, group).toFixed(2)} |`;
  const off = side(false);
  const on = side(true);
  const ratio = rate(on, (r) => r.requests) / rate(off, (r) => r.requests);
  const interval = meanWithInterval(roundRatios);
  const cpuSecondsPerSecond = (list: Result[]) =>
    sum(list, (r) => CPU_GROUPS.reduce((a, g) => a + r.cpuMs[g], 0)) / 1000 / sum(list, (r) => r.seconds);
  process.stdout.write(
    [
      '',
      `| ${ROUNDS} rounds × ${SECONDS} s, ${CONCURRENCY} users each, both systems at once | tracing off | tracing on (files) |`,
      '| --- | --- | --- |',
      `| requests/s | ${rate(off, (r) => r.requests).toFixed(1)} | ${rate(on, (r) => r.requests).toFixed(1)} |`,
      `| purchases/s | ${rate(off, (r) => r.purchases).toFixed(2)} | ${rate(on, (r) => r.purchases).toFixed(2)} |`,
      `| errors | ${sum(off, (r) => r.errors)} | ${sum(on, (r) => r.errors)} |`,
      ...['POST /api/orders', 'GET /api/tickets', 'POST /api/payments'].map(
        (route) =>
          `| p99 ${route} (ms, worst round) | ${worstP99(off, route).toFixed(0)} | ${worstP99(on, route).toFixed(0)} |`,
      ),
      ...CPU_GROUPS.map(cpuRow),
      `| CPU ms per request: all | ${cpuPerRequest(off).toFixed(2)} | ${cpuPerRequest(on).toFixed(2)} |`,
      ...Object.keys(off[0]?.serviceCpuMs ?? {}).map(
        (service) =>
          `| CPU ms per request: ${service} | ${serviceCpuPerRequest(off, service).toFixed(2)} | ${serviceCpuPerRequest(on, service).toFixed(2)} |`,
      ),
      '',
      `throughput with tracing on / off: ${ratio.toFixed(3)} (bar: >= 0.9)`,
      `rounds on / off: ${roundRatios.map((x) => x.toFixed(3)).join(', ')}; median ${median(roundRatios).toFixed(3)}, lowest ${Math.min(...roundRatios).toFixed(3)}`,
      `mean of rounds ${interval.mean.toFixed(3)}, 95 % interval ${interval.low.toFixed(3)} to ${interval.high.toFixed(3)}`,
      `CPU per request with tracing off / on: ${(cpuPerRequest(off) / cpuPerRequest(on)).toFixed(3)}`,
      // Each system's share of the machine: a throughput ratio far from the CPU ratio means the
      // two did not get the cores alike, not that tracing cost more.
      `CPU seconds used per second of load: off ${cpuSecondsPerSecond(off).toFixed(2)}, on ${cpuSecondsPerSecond(on).toFixed(2)}`,
      '',
    ].join('\n'),
  );
  process.exitCode = ratio >= 0.9 && results.every((r) => r.errors === 0) ? 0 : 1;
}

const childFlag = args.indexOf('--child');
(childFlag >= 0 ? child(args[childFlag + 1] === 'on') : main()).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
