/**
 * CPU per request on the HTTP path of the real services, and what the gateway adds: tickets'
 * `GET /api/tickets/:id` and auth's `GET /api/users/currentuser` (signed in), each hit directly on
 * the service and through the gateway, side by side in one run.
 *
 *   npm run build && npx tsx bench/service-cpu.ts [--seconds 3] [--rounds 7] [--connections 20] [--out FILE] [--profile DIR]
 *
 * The report goes to standard output, and to FILE with `--out`. bench/results/service-cpu.md is
 * the curated history of runs (each with its date, code and circumstances), not this output.
 *
 * `--profile DIR` makes auth, tickets and the system's parent process write V8 CPU profiles into DIR
 * when they stop (open them in Chrome DevTools or speedscope).
 *
 * Processes: a child boots the system as `npm start` does (`startSystem`: embedded PostgreSQL with
 * fsync on, nats-server, auth and tickets as `node <svc>/dist/main.js` children with LOG_LEVEL info
 * and tracing on, writing their prefixed log lines to the parent's stdout themselves, the gateway
 * in that parent); the load
 * client (autocannon) runs in a process of its own at fixed concurrency with keep-alive. Each round
 * measures every target once, in a rotated order, after a warm-up. Figures are medians over the
 * rounds; "vs direct" is the median of each round's ratio to the same route hit directly in that
 * round; it is the figure issue 12's bar (≥ 0.8× for the ticket read) is judged on, printed first.
 * CPU per request is read from /proc (user + system) for the service, and for the system's parent
 * process (the gateway); PostgreSQL's and autocannon's CPU are not counted. Writes a Markdown report (run prettier on it before committing) and prints it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processCpuSeconds } from '../system/src/cpu';
import { median, runAutocannon, type AutocannonRun } from './autocannon';
import { startSystem } from '../system/src/system';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROLE = arg('role') ?? 'main';
const SECONDS = Number(arg('seconds') ?? 3);
const ROUNDS = Number(arg('rounds') ?? 7);
const CONNECTIONS = Number(arg('connections') ?? 20);
const PROFILE_DIR = arg('profile');
const IDLE_MS = 2_000;
/** Issue 12's acceptance: the ticket read through the gateway at this fraction of it direct, or more. */
const BAR = 0.8;
const OUT = arg('out');
const repoRoot = path.resolve(__dirname, '..');

/** What the system child tells the parent once everything answers. */
interface SystemInfo {
  gatewayUrl: string;
  parentPid: number;
  tickets: { port: number; pid: number };
  auth: { port: number; pid: number };
}

/** Child: boots auth and tickets as `npm start` would, reports where they listen, runs until killed. */
async function system(): Promise<void> {
  const running = await startSystem({
    ephemeral: true,
    durablePostgres: true,
    gatewayPort: 0,
    client: false,
    services: ['auth', 'tickets'],
    env: { ...process.env, SCRYPT_N: process.env.SCRYPT_N ?? '1024' },
    // `--profile DIR`: each service samples itself and writes a V8 CPU profile there on exit
    // (--cpu-prof itself is not allowed in NODE_OPTIONS, so a preloaded inspector session does it).
    serviceEnv: PROFILE_DIR
      ? Object.fromEntries(
          (['auth', 'tickets'] as const).map((s) => [
            s,
            {
              NODE_OPTIONS: `--require ${profilerHook(PROFILE_DIR)}`,
              PROFILE_OUT_DIR: path.resolve(PROFILE_DIR),
            },
          ]),
        )
      : undefined,
  });
  const stop = () => void running.stop().finally(() => process.exit(0));
  process.once('disconnect', stop);
  process.once('SIGTERM', stop);
  const info: SystemInfo = {
    gatewayUrl: running.gatewayUrl,
    parentPid: process.pid,
    tickets: { port: running.services.tickets.port, pid: running.services.tickets.pid },
    auth: { port: running.services.auth.port, pid: running.services.auth.pid },
  };
  process.send!(info);
}

/** Writes the preload that profiles a service from start to exit into `dir`; returns its path. */
function profilerHook(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.resolve(dir, 'profiler-hook.cjs');
  fs.writeFileSync(
    file,
    `const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, res) => {
    if (!err) fs.writeFileSync(path.join(process.env.PROFILE_OUT_DIR, process.pid + '.cpuprofile'), JSON.stringify(res.profile));
  });
});
`,
  );
  return file;
}

/** CPU time (user + system) of a process so far, in µs, from /proc. */
const cpuOf = (pid: number): number => processCpuSeconds(pid) * 1e6;

/** One measurement with the run's connections and the scenario's headers. */
const autocannon = (url: string, seconds: number, headers: string[]) =>
  runAutocannon(url, { connections: CONNECTIONS, seconds, flags: headers.flatMap((h) => ['-H', h]) });

interface Sample extends AutocannonRun {
  /** CPU µs per request of each measured process. */
  cpu: Record<string, number>;
}

/** Signs a user up through the gateway and lists a ticket; returns the session cookie and the ticket's id. */
async function arrange(gatewayUrl: string): Promise<{ cookie: string; ticketId: string }> {
  const signup = await fetch(`${gatewayUrl}/api/users/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench-${Date.now()}@example.com`, password: 'correct-horse-battery' }),
  });
  if (signup.status !== 201) throw new Error(`signup answered ${signup.status}: ${await signup.text()}`);
  const cookie = signup.headers.getSetCookie()[0]!.split(';')[0]!;
  const created = await fetch(`${gatewayUrl}/api/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ title: 'Bench concert', price: 20 }),
  });
  if (created.status !== 201) throw new Error(`create ticket answered ${created.status}`);
  const { id } = (await created.json()) as { id: string };
  return { cookie, ticketId: id };
}

async function main(): Promise<void> {
  const sys: ChildProcess = spawn(
    process.execPath,
    [
      ...process.execArgv,
      // The `npm start` process (gateway, log prefixing) is profiled too.
      ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : []),
      __filename,
      '--role',
      'system',
      ...(PROFILE_DIR ? ['--profile', PROFILE_DIR] : []),
    ],
    {
      // Its own output (the services' prefixed log lines) goes nowhere, as cheaply as to a terminal.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  try {
    const info = await new Promise<SystemInfo>((resolve, reject) => {
      sys.once('message', (m) => resolve(m as SystemInfo));
      sys.once('exit', (code) => reject(new Error(`the system exited (${code}) before it was ready`)));
    });
    const { cookie, ticketId } = await arrange(info.gatewayUrl);
    const direct = (port: number) => `http://127.0.0.1:${port}`;
    const processes = [
      { key: 'tickets', pid: info.tickets.pid },
      { key: 'auth', pid: info.auth.pid },
      { key: 'parent', pid: info.parentPid },
    ];
    const scenarios = [
      {
        name: 'GET /api/tickets/:id',
        path: `/api/tickets/${ticketId}`,
        service: 'tickets',
        headers: [] as string[],
        targets: [
          { key: 'direct', name: 'direct (tickets)', base: direct(info.tickets.port) },
          { key: 'gateway', name: 'through the gateway', base: info.gatewayUrl },
        ],
      },
      {
        name: 'GET /api/users/currentuser (signed in)',
        path: '/api/users/currentuser',
        service: 'auth',
        headers: [`cookie:${cookie}`],
        targets: [
          { key: 'direct', name: 'direct (auth)', base: direct(info.auth.port) },
          { key: 'gateway', name: 'through the gateway', base: info.gatewayUrl },
        ],
      },
    ];

    const results = new Map<string, Sample[]>();
    /** CPU µs per second of each process while nothing is asked of it. */
    const idleRates = new Map<string, number[]>();
    const ratios = new Map<string, number[]>();
    for (const sc of scenarios) {
      for (const t of sc.targets) await autocannon(`${t.base}${sc.path}`, 1, sc.headers); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        const order = sc.targets.map((_, i) => sc.targets[(i + round) % sc.targets.length]!);
        const byTarget = new Map<string, Sample>();
        for (const t of order) {
          // Each process's background work (relay polls, probes, span exports) in a quiet second
          // just before, so what the requests cost is what is left above it.
          const quiet = processes.map((p) => cpuOf(p.pid));
          const quietStart = performance.now();
          await new Promise((r) => setTimeout(r, IDLE_MS));
          const idle = processes.map((p, i) => (cpuOf(p.pid) - quiet[i]!) / (performance.now() - quietStart));
          const before = processes.map((p) => cpuOf(p.pid));
          const started = performance.now();
          const run = await autocannon(`${t.base}${sc.path}`, SECONDS, sc.headers);
          const elapsed = performance.now() - started;
          const cpu = Object.fromEntries(
            processes.map((p, i) => [
              p.key,
              Math.max(0, cpuOf(p.pid) - before[i]! - idle[i]! * elapsed) / Math.max(1, run.requests),
            ]),
          );
          for (const [i, p] of processes.entries())
            idleRates.set(p.key, [...(idleRates.get(p.key) ?? []), idle[i]! * 1000]);
          const s: Sample = { ...run, cpu };
          byTarget.set(t.key, s);
          const key = `${sc.name}|${t.key}`;
          results.set(key, [...(results.get(key) ?? []), s]);
          process.stderr.write(
            `${sc.name} · round ${round + 1} · ${t.key}: ${s.rps.toFixed(0)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms, CPU µs/request ${processes.map((p) => `${p.key} ${cpu[p.key]!.toFixed(0)}`).join(', ')}, errors ${s.errors}\n`,
          );
        }
        const d = byTarget.get('direct')!;
        for (const t of sc.targets) {
          const key = `${sc.name}|${t.key}`;
          ratios.set(key, [...(ratios.get(key) ?? []), byTarget.get(t.key)!.rps / d.rps]);
        }
      }
    }

    const cpuInfo = os.cpus();
    const lines = [
      '# CPU per request on the HTTP path, and the gateway against direct',
      '',
      `Run ${new Date().toISOString()} with \`npx tsx bench/service-cpu.ts${args.length ? ` ${args.join(' ')}` : ''}\` at commit ${commit()}: Node ${process.version}, ${cpuInfo.length} × ${cpuInfo[0]?.model ?? 'CPU'}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end (the machine is shared with other work).`,
      '',
      '- System: `startSystem` as `npm start` runs it, with auth and tickets only: embedded PostgreSQL (fsync and synchronous_commit on), nats-server, each service `node <svc>/dist/main.js` with LOG_LEVEL info and tracing on (spans to files), writing its log lines (prefixed `[name]` by its own logger) to the stdout it shares with the parent process, which runs the gateway; that stdout is /dev/null.',
      `- Load: autocannon ${(require('autocannon/package.json') as { version: string }).version} in its own process, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per measurement after a 1 s warm-up per target; ${ROUNDS} rounds, each measuring the direct and the gateway target in a rotated order.`,
      `- CPU µs/request: the CPU time (user + system, from /proc) each process spent during the measurement above its own idle rate (measured in the ${IDLE_MS / 1000} s of quiet just before it), per request answered. "parent" is the \`npm start\` process: the gateway (and the relay of whatever the children write on stderr). PostgreSQL, nats-server and autocannon are not counted. "vs direct" is the median over rounds of each round's req/s ratio to the same route hit directly; req/s, p50 and p99 are wall-clock medians.`,
      '',
    ];
    // Issue 12's acceptance figure first: the ticket read through the gateway against direct.
    const bar = [...ratios.get(`${scenarios[0]!.name}|gateway`)!].sort((a, b) => a - b);
    lines.push(
      `**Through the gateway ÷ direct, \`${scenarios[0]!.name}\`: ${median(bar).toFixed(2)}×** (median over ${bar.length} rounds of each round's req/s ratio, measured side by side; rounds ${bar.map((r) => r.toFixed(2)).join(', ')}). Issue 12's bar is ≥ ${BAR.toFixed(1)}×: ${median(bar) >= BAR ? 'met' : 'not met'} in this run.`,
      '',
    );
    for (const sc of scenarios) {
      lines.push(`## ${sc.name}`, '');
      lines.push(
        `| target | req/s | vs direct | p50 ms | p99 ms | errors | ${processes.map((p) => `${p.key} CPU µs/req`).join(' | ')} |`,
        `| --- | ---: | ---: | ---: | ---: | ---: | ${processes.map(() => '---:').join(' | ')} |`,
      );
      for (const t of sc.targets) {
        const key = `${sc.name}|${t.key}`;
        const s = results.get(key)!;
        const cpu = processes.map((p) => median(s.map((x) => x.cpu[p.key]!)).toFixed(0));
        lines.push(
          `| ${t.name} | ${median(s.map((x) => x.rps)).toFixed(0)} | ${median(ratios.get(key)!).toFixed(2)} | ${median(s.map((x) => x.p50))} | ${median(s.map((x) => x.p99))} | ${s.reduce((n, x) => n + x.errors, 0)} | ${cpu.join(' | ')} |`,
        );
      }
      const r = [...ratios.get(`${sc.name}|gateway`)!].sort((a, b) => a - b);
      const own = results.get(`${sc.name}|direct`)!.map((x) => x.cpu[sc.service]!);
      lines.push(
        '',
        `- Through the gateway ÷ direct, req/s per round: median ${median(r).toFixed(2)} (rounds ranged ${r[0]!.toFixed(2)} to ${r.at(-1)!.toFixed(2)}).`,
        `- ${sc.service}'s own CPU per request, direct: median ${median(own).toFixed(0)} µs (rounds ranged ${Math.min(...own).toFixed(0)} to ${Math.max(...own).toFixed(0)}).`,
        '',
      );
    }
    lines.push(
      '## Background',
      '',
      `CPU each process spends with no request (median of the quiet windows, ms of CPU per second): ${[...idleRates].map(([k, v]) => `${k} ${(median(v) / 1000).toFixed(1)}`).join(', ')}.`,
      '',
    );
    const report = lines.join('\n');
    process.stdout.write(`${report}\n`);
    if (OUT) {
      const file = path.resolve(OUT);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${report}\n`);
      process.stdout.write(`written to ${path.relative(repoRoot, file)}\n`);
    }
  } finally {
    sys.kill('SIGTERM');
    await new Promise((r) => sys.once('exit', r));
  }
}

/** The commit measured (with `+` when the work tree has changes). */
function commit(): string {
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repoRoot }).toString().trim();
  return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? '+' : ''}`;
}

const roles: Record<string, () => Promise<void>> = { main, system };
const run = roles[ROLE];
if (!run) throw new Error(`unknown role ${ROLE}`);
run().catch((err: unknown) => {
  process.stderr.write(`bench/service-cpu (${ROLE}): ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
