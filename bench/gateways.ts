/**
 * Benchmark of the local gateway (system/src/gateway.ts) against a gateway built on a maintained
 * proxy library (http-proxy-3, the maintained rewrite of http-proxy), with the upstream hit
 * directly as the baseline, all in one run on the same upstream.
 *
 *   npx tsx bench/gateways.ts [--seconds 3] [--rounds 11] [--connections 32] [--out bench/results/gateways.md]
 *
 * Processes: the upstream (a minimal node:http server answering like GET /api/tickets/:id and
 * POST /api/tickets: a small JSON body, no database, so the figures are the proxies' own cost),
 * each gateway in its own process, and the load client (autocannon) in another, at fixed
 * concurrency with keep-alive. Two scenarios: GET (no body) and POST (a 1 KiB JSON body, streamed
 * through). Each round measures every target once, in a rotated order, after a warm-up; the
 * figures are the medians over rounds, reported as ratios against the direct upstream of the same
 * round, and the CPU time each proxy process spent per request (steadier than wall-clock figures
 * on a shared machine). Writes a Markdown report (default bench/results/gateways.md; run prettier
 * on it before committing) and prints it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createProxyServer } from 'http-proxy-3';
import { createTracerProvider } from '@ticketing/common/telemetry';
import { startGateway } from '../system/src/gateway';
import { matchRoute } from '../system/src/routes';
import { median, runAutocannon, type AutocannonRun } from './autocannon';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROLE = arg('role') ?? 'main';
const SECONDS = Number(arg('seconds') ?? 3);
const ROUNDS = Number(arg('rounds') ?? 11);
const CONNECTIONS = Number(arg('connections') ?? 32);
const OUT = path.resolve(arg('out') ?? path.join(__dirname, 'results', 'gateways.md'));
const repoRoot = path.resolve(__dirname, '..');

const TICKET = JSON.stringify({
  id: '7f1f5b1e-6c1a-4f7e-9a55-4f3c2f0f6a11',
  title: 'Concert',
  price: 20,
  userId: '0c0a3a8e-2b7e-4c5d-8f77-7e1d1a7b5f42',
  version: 0,
  orderId: null,
});
const POST_BODY = JSON.stringify({ title: 'x'.repeat(1000), price: 20 });

/** Tells the parent where this child listens; from then on it answers each message with its CPU time. */
function ready(server: http.Server): void {
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send!(user + system);
  });
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
}

async function listen(server: http.Server): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  ready(server);
}

/** The upstream: answers a ticket to any GET, 201 with the same ticket to any POST (its body read whole). */
async function upstream(): Promise<void> {
  const server = http.createServer((req, res) => {
    const answer = (status: number) => {
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(TICKET),
      });
      res.end(TICKET);
    };
    if (req.method === 'POST') {
      req.resume();
      req.on('end', () => answer(201));
    } else answer(200);
  });
  server.keepAliveTimeout = 5_000;
  await listen(server);
}

/**
 * Our gateway (one catch-all route to the upstream); `traced`: with its server span per request
 * exported to a file, as `npm start` runs it (the spans go to a temporary directory).
 */
async function ours(upstreamPort: number, traced = false): Promise<void> {
  const tracing = traced
    ? createTracerProvider({
        service: 'gateway',
        env: { TRACES_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-gateway-traces-')) },
      })
    : undefined;
  const gw = await startGateway({
    routes: [{ prefix: '/', service: 'upstream' }],
    upstream: () => ({ host: '127.0.0.1', port: upstreamPort }),
    tracer: tracing?.provider.getTracer('@ticketing/system/gateway'),
  });
  ready(gw.server);
}

/**
 * The same gateway on http-proxy-3, doing the same per-request work: route lookup, keep-alive
 * agent with our pool sizes, X-Forwarded-* from the connection (the client's dropped first), an
 * upstream timeout, a 502 in the error shape. It does not do what the library leaves to the caller
 * (upgrade restrictions, Connection-named framing headers, slow-client timeouts beyond node's).
 */
async function library(upstreamPort: number): Promise<void> {
  const routes = [{ prefix: '/', service: 'upstream' }];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  const proxy = createProxyServer({ xfwd: true, agent, proxyTimeout: 30_000 });
  const fail = (res: http.ServerResponse | unknown) => {
    if (!(res instanceof http.ServerResponse) || res.headersSent) return;
    const body = JSON.stringify({ errors: [{ message: 'Service unavailable' }] });
    res.writeHead(502, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body);
  };
  proxy.on('error', (_err, _req, res) => fail(res));
  const server = http.createServer((req, res) => {
    if (!matchRoute(routes, req.url ?? '/')) {
      res.writeHead(404).end();
      return;
    }
    for (const h of ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'])
      delete req.headers[h];
    proxy.web(req, res, { target: `http://127.0.0.1:${upstreamPort}` });
  });
  server.keepAliveTimeout = 5_000;
  await listen(server);
}

/** Starts this file again in `role`, with the same loader (tsx); resolves with its port. */
function child(role: string, extra: string[] = []): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [...process.execArgv, __filename, '--role', role, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve({ proc, port: (JSON.parse(line!) as { port: number }).port });
    });
    proc.once('exit', (code) => reject(new Error(`${role} exited (${code}) before listening`)));
  });
}

/** One measurement with the run's connections; `post` sends the 1 KiB JSON body. */
const autocannon = (url: string, seconds: number, post: boolean) =>
  runAutocannon(url, {
    connections: CONNECTIONS,
    seconds,
    flags: post ? ['-m', 'POST', '-H', 'content-type=application/json', '-b', POST_BODY] : [],
  });

interface Sample extends AutocannonRun {
  /** CPU time (user + system) the measured process (the proxy, or the upstream when direct) spent per request, in µs. */
  cpuPerRequest?: number;
}

/** A child's CPU time so far (user + system, µs). */
function cpuTime(proc: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    proc.once('message', (m) => resolve(Number(m)));
    proc.send('cpu');
  });
}

async function main(): Promise<void> {
  const procs: ChildProcess[] = [];
  try {
    const up = await child('upstream');
    procs.push(up.proc);
    const [gw, lib] = await Promise.all([
      child('ours', ['--upstream', String(up.port)]),
      child('library', ['--upstream', String(up.port)]),
    ]);
    procs.push(gw.proc, lib.proc);
    const targets = [
      { name: 'direct (upstream, no proxy)', key: 'direct', port: up.port, proc: up.proc },
      { name: 'our gateway (system/src/gateway.ts)', key: 'ours', port: gw.port, proc: gw.proc },
      { name: 'http-proxy-3 gateway', key: 'library', port: lib.port, proc: lib.proc },
    ];
    const scenarios = [
      { name: 'GET /api/tickets/:id', post: false, path: `/api/tickets/${JSON.parse(TICKET).id}` },
      { name: 'POST /api/tickets (1 KiB JSON body)', post: true, path: '/api/tickets' },
    ];

    const results = new Map<string, Sample[]>();
    const ratios = new Map<string, number[]>();
    for (const sc of scenarios) {
      for (const t of targets) await autocannon(`http://127.0.0.1:${t.port}${sc.path}`, 1, sc.post); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
        const byTarget = new Map<string, Sample>();
        for (const t of order) {
          const cpuBefore = await cpuTime(t.proc);
          const s: Sample = await autocannon(`http://127.0.0.1:${t.port}${sc.path}`, SECONDS, sc.post);
          s.cpuPerRequest = ((await cpuTime(t.proc)) - cpuBefore) / Math.max(1, s.requests);
          byTarget.set(t.key, s);
          const key = `${sc.name}|${t.key}`;
          results.set(key, [...(results.get(key) ?? []), s]);
          process.stderr.write(
            `${sc.name} · round ${round + 1} · ${t.key}: ${s.rps.toFixed(0)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms, ${s.cpuPerRequest.toFixed(1)} µs CPU/request, errors ${s.errors}\n`,
          );
        }
        const direct = byTarget.get('direct')!;
        for (const t of targets) {
          const key = `${sc.name}|${t.key}`;
          ratios.set(key, [...(ratios.get(key) ?? []), byTarget.get(t.key)!.rps / direct.rps]);
        }
        const head = `${sc.name}|ours-vs-library`;
        ratios.set(head, [
          ...(ratios.get(head) ?? []),
          byTarget.get('ours')!.rps / byTarget.get('library')!.rps,
        ]);
      }
    }

    const cpu = os.cpus();
    const lines = [
      '# Gateway benchmark: our gateway vs. http-proxy-3 vs. direct',
      '',
      `Run ${new Date().toISOString()} with \`npx tsx bench/gateways.ts\`: Node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end (the machine is shared with other work).`,
      '',
      `- Upstream: a minimal node:http server in its own process answering like GET /api/tickets/:id (200, ${Buffer.byteLength(TICKET)}-byte JSON) and POST /api/tickets (reads the body, 201); no database, so what differs is the proxy's own cost.`,
      '- Our gateway: `startGateway` from system/src/gateway.ts, one catch-all route, in its own process.',
      "- Library gateway: node:http + `http-proxy-3` `proxy.web` with the same route lookup, keep-alive agent sizes, X-Forwarded-* from the connection, upstream timeout and 502 error shape, in its own process. It does less than ours: request headers go upstream as received (hop-by-hop ones and those named in Connection included), no upgrades at all, no 501 for a transfer coding it cannot forward, no second attempt for a safe request whose kept-alive connection was reset; the client's X-Forwarded-* are deleted before the library appends its own.",
      `- Load: autocannon ${require('autocannon/package.json').version} in its own process, ${CONNECTIONS} keep-alive connections, no pipelining, ${SECONDS} s per measurement after a 1 s warm-up per target; ${ROUNDS} rounds, each measuring all three targets in a rotated order.`,
      "- Figures: medians over the rounds. \"CPU µs/request\" is the CPU time (user + system) the measured process spent per request answered: the proxy's own process for a gateway, the upstream's for direct. It is the figure to compare on a shared machine, where wall-clock throughput swings with the neighbours' load; req/s, p50 and p99 are wall-clock, and \"vs direct\" is the median of each round's ratio to the direct run of that round. Rounds are short and many so that a neighbour's burst hits one measurement, not a whole column.",
      '',
    ];
    for (const sc of scenarios) {
      lines.push(`## ${sc.name}`, '');
      lines.push(
        '| target | CPU µs/request | req/s | vs direct | p50 ms | p99 ms | errors |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      );
      const cpuOf = (key: string) => median(results.get(`${sc.name}|${key}`)!.map((x) => x.cpuPerRequest!));
      for (const t of targets) {
        const key = `${sc.name}|${t.key}`;
        const s = results.get(key)!;
        lines.push(
          `| ${t.name} | ${cpuOf(t.key).toFixed(1)} | ${median(s.map((x) => x.rps)).toFixed(0)} | ${median(ratios.get(key)!).toFixed(2)} | ${median(s.map((x) => x.p50))} | ${median(s.map((x) => x.p99))} | ${s.reduce((n, x) => n + x.errors, 0)} |`,
        );
      }
      const head = [...ratios.get(`${sc.name}|ours-vs-library`)!].sort((a, b) => a - b);
      lines.push(
        '',
        `- CPU per proxied request, ours ÷ http-proxy-3: ${(cpuOf('ours') / cpuOf('library')).toFixed(2)} (below 1: ours costs less).`,
        `- Requests/s, ours ÷ http-proxy-3, per round: median ${median(head).toFixed(2)} (rounds ranged ${head[0]!.toFixed(2)} to ${head.at(-1)!.toFixed(2)}).`,
        '',
      );
    }
    const report = lines.join('\n');
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, `${report}\n`);
    process.stdout.write(`${report}\nwritten to ${path.relative(repoRoot, OUT)}\n`);
  } finally {
    for (const p of procs) p.kill();
  }
}

const upstreamArg = Number(arg('upstream'));
const roles: Record<string, () => Promise<void>> = {
  main,
  upstream,
  ours: () => ours(upstreamArg),
  'ours-traced': () => ours(upstreamArg, true),
  library: () => library(upstreamArg),
};
const run = roles[ROLE];
if (!run) throw new Error(`unknown role ${ROLE}`);
run().catch((err: unknown) => {
  process.stderr.write(`bench/gateways (${ROLE}): ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
