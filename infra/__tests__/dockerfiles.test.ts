import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { natsServiceUsers } from '@ticketing/common';
import { adminQuery, startNatsServer, startPostgres, type NatsServerHandle } from '@ticketing/common/testing';
import { parseDockerfile, stagesNeeded } from '../src/dockerfile';
import { dockerignore } from '../src/dockerignore';
import { apps, repoRoot, services, type AppName } from '../src/paths';
import { endGroup, replayDockerfile, startCmd, type StageCache } from '../src/rehearsal';

const dockerfileOf = (app: AppName) => path.join(repoRoot, app, 'Dockerfile');
const parsed = (app: AppName) => parseDockerfile(fs.readFileSync(dockerfileOf(app), 'utf8'));

describe.each([...apps])('%s/Dockerfile', (app) => {
  it('builds in stages and ships a runtime stage on a current Node LTS, as a non-root user', () => {
    const df = parsed(app);
    const runtime = df.stages[df.stages.length - 1]!;
    expect(runtime.name).toBe('runtime');
    expect(df.stages.length).toBeGreaterThanOrEqual(2);
    // Node 22 and 24 are the LTS lines (20 ends in April 2026).
    for (const s of df.stages.filter((st) => !st.parent)) expect(s.from).toMatch(/^node:(22|24)[-.]/);
    expect(runtime.user).toBe('node');
    expect(runtime.env.NODE_ENV).toBe('production');
    expect(runtime.workdir).toBe('/app');
  });

  it('runs node as PID 1, so SIGTERM reaches the app (no npm, no shell wrapper)', () => {
    const runtime = parsed(app).stages.at(-1)!;
    expect(runtime.cmd).toEqual(['node', app === 'client' ? 'client/server.js' : `${app}/dist/main.js`]);
    expect(runtime.steps.some((s) => s.instruction === 'ENTRYPOINT')).toBe(false);
  });

  it('installs production dependencies only in the runtime stage', () => {
    const runtime = parsed(app).stages.at(-1)!;
    const installs = runtime.steps
      .filter((s) => s.instruction === 'RUN' && /npm (ci|install)/.test(s.args))
      .map((s) => s.args);
    // The client's runtime copies Next's standalone output, which carries the dependencies it traced.
    expect(installs).toHaveLength(app === 'client' ? 0 : 1);
    for (const install of installs) expect(install).toMatch(/--omit=dev/);
  });
});

describe('.dockerignore', () => {
  const ignored = dockerignore(repoRoot);
  it.each([
    'node_modules/x',
    'auth/node_modules/x',
    'common/dist/index.js',
    'client/.next/cache',
    '.git/HEAD',
    'orders/coverage/lcov.info',
    'payments/.data/x',
    'artifacts/a.log',
    'tickets/tsconfig.tsbuildinfo',
  ])('keeps %s out of the build context', (p) => expect(ignored(p)).toBe(true));
  it.each([
    'package.json',
    'package-lock.json',
    'tsconfig.base.json',
    'common/src/index.ts',
    'auth/src/main.ts',
    'client/next.config.ts',
  ])('sends %s', (p) => expect(ignored(p)).toBe(false));
});

// ---------------------------------------------------------------------------------------------
// The rehearsal: replay each Dockerfile, start its CMD with test config, expect 200 on /healthz
// (the client: also its home page) and a clean exit 0 on SIGTERM.
// ---------------------------------------------------------------------------------------------

const REHEARSAL_TIMEOUT = 8 * 60_000;

interface Infra {
  postgres: { url(db?: string): string; stop(): Promise<void> };
  nats: NatsServerHandle;
}
let infra: Infra | undefined;
/** One scratch folder for every rehearsal of this file; stages replayed once are reused. */
const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearsal-'));
const stageCache: StageCache = new Map();

async function startInfra(): Promise<Infra> {
  // The helpers of @ticketing/common/testing: a private PostgreSQL and nats-server on free ports,
  // in temp folders they remove (the root `npm test` builds common first).
  const [postgres, nats] = await Promise.all([startPostgres(), startNatsServer()]);
  return { postgres, nats };
}

afterAll(async () => {
  await infra?.postgres.stop();
  await infra?.nats.stop();
  if (!process.env.KEEP_REHEARSAL) fs.rmSync(scratchRoot, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = http.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function get(url: string, timeout = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/** Polls until the URL answers (any status) or the process exits; returns the first answer. */
async function waitForAnswer(url: string, proc: ChildProcess, output: () => string, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`exited (${proc.exitCode ?? proc.signalCode}) before answering ${url}:\n${output()}`);
    }
    try {
      return await get(url);
    } catch {
      if (Date.now() > deadline) throw new Error(`no answer from ${url} within ${ms} ms:\n${output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function stopWithSigterm(
  proc: ChildProcess,
  ms = 20_000,
): Promise<{ code: number | null; signal: string | null }> {
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
  const result = await exited;
  clearTimeout(timer);
  return result;
}

/** Processes still alive in the CMD's process group (Linux /proc). */
function leftoverProcesses(proc: ChildProcess): string[] {
  if (!proc.pid || !fs.existsSync('/proc')) return [];
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is the state, fields[2] the process group id.
      if (Number(fields[2]) === proc.pid && fields[0] !== 'Z') {
        out.push(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim());
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A stand-in gateway for the client's server-side calls: signed out, no tickets. */
function startStubApi(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/api/users/currentuser')) res.end(JSON.stringify({ currentUser: null }));
    else if (req.url?.startsWith('/api/tickets')) res.end('[]');
    else if (req.url?.startsWith('/api/orders')) res.end('[]');
    else {
      res.statusCode = 404;
      res.end(JSON.stringify({ errors: [{ message: 'Not found' }] }));
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}

/**
 * The rehearsals: the runtime stage (the default target) of every image, and the `dev` stage that
 * `skaffold dev` runs for one service (the five share one template) and for the client.
 */
const rehearsals: [AppName, 'runtime' | 'dev'][] = [
  ...apps.map((a): [AppName, 'runtime'] => [a, 'runtime']),
  ['auth', 'dev'],
  ['client', 'dev'],
];

describe.each(rehearsals)('rehearsal of %s/Dockerfile, stage %s', (app, target) => {
  const scratch = path.join(scratchRoot, `${app}-${target}`);

  it(
    'replays the stage and the stages it needs, then answers 200 on /healthz and exits cleanly on SIGTERM',
    async () => {
      const df = parsed(app);
      expect(stagesNeeded(df, target).map((s) => s.name)).toEqual(
        target === 'runtime' ? ['build', 'runtime'] : ['build', 'dev'],
      );
      fs.mkdirSync(scratch, { recursive: true });
      const rehearsal = await replayDockerfile(dockerfileOf(app), scratch, { target, cache: stageCache });
      // What was not rehearsed is only ownership, users and cache mounts (see src/rehearsal.ts).
      for (const s of rehearsal.skipped)
        expect(s).toMatch(/USER|--chown|chown|--mount=type=cache|adduser|addgroup|apk|apt/);

      const port = await freePort();
      const env: Record<string, string> = { PORT: String(port), LOG_LEVEL: 'warn' };
      let stub: { url: string; close(): Promise<void> } | undefined;
      if (app === 'client') {
        stub = await startStubApi();
        Object.assign(env, { HOSTNAME: '127.0.0.1', API_BASE_URL: stub.url });
      } else {
        infra ??= await startInfra();
        const db = `rehearsal_${app}_${target}`;
        await adminQuery(infra.postgres.url(), `DROP DATABASE IF EXISTS ${db}`);
        await adminQuery(infra.postgres.url(), `CREATE DATABASE ${db}`);
        Object.assign(env, {
          DATABASE_URL: infra.postgres.url(db),
          // Its own NATS user (auth has none: it does not use NATS).
          ...(natsServiceUsers().includes(app as never) ? infra.nats.env(app) : { NATS_URL: infra.nats.url }),
          NATS_CLIENT_NAME: `${app}-rehearsal`,
          JWT_KEY: 'rehearsal-jwt-key-rehearsal-jwt-key',
          // The runtime stage is production, where payments needs a Stripe key or an explicit sandbox.
          ...(app === 'payments' ? { PAYMENT_PROVIDER: 'sandbox' } : {}),
        });
      }

      const proc = startCmd(rehearsal, env);
      let output = '';
      proc.stdout?.on('data', (d) => (output = (output + d).slice(-8000)));
      proc.stderr?.on('data', (d) => (output = (output + d).slice(-8000)));
      try {
        const health = await waitForAnswer(`http://127.0.0.1:${port}/healthz`, proc, () => output, 90_000);
        expect([health.status, output.slice(-2000)]).toEqual([200, expect.anything()]);
        if (app === 'client') {
          const home = await get(`http://127.0.0.1:${port}/`, 60_000);
          expect([home.status, home.body.slice(0, 500)]).toEqual([200, expect.anything()]);
        }
      } finally {
        const exit = await stopWithSigterm(proc);
        const leftovers = leftoverProcesses(proc);
        endGroup(proc);
        await stub?.close();
        // Nothing the CMD started outlives it (a wrapper that does not pass SIGTERM on would).
        expect(leftovers).toEqual([]);
        // Next's servers exit 143 (128 + SIGTERM) by design once they have closed; services exit 0.
        const clean = app === 'client' ? [0, 143] : [0];
        expect([clean.includes(exit.code ?? -1), exit, output.slice(-2000)]).toEqual([
          true,
          exit,
          expect.anything(),
        ]);
      }
    },
    REHEARSAL_TIMEOUT,
  );
});

// The five service Dockerfiles come from one template (src/generate.ts). The expectation comes from the
// repository, not from paths.ts: every workspace that runs as a service (src/main.ts) or is the Next.js
// client ships as an image, and only those have a Dockerfile.
it('rehearses every workspace that ships as an image', () => {
  const workspaces: string[] = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'),
  ).workspaces;
  const has = (w: string, file: string) => fs.existsSync(path.join(repoRoot, w, file));
  const serviceWorkspaces = workspaces.filter((w) => has(w, 'src/main.ts'));
  const imageWorkspaces = workspaces.filter((w) => has(w, 'src/main.ts') || has(w, 'next.config.ts'));

  expect([...services].sort()).toEqual(serviceWorkspaces.sort());
  expect([...apps].sort()).toEqual(imageWorkspaces.sort());
  expect(workspaces.filter((w) => has(w, 'Dockerfile')).sort()).toEqual(imageWorkspaces.sort());
});
