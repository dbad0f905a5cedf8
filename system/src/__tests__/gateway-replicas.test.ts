/**
 * The gateway in front of several replicas of a service, each a real process
 * (fixtures/replica.ts): round-robin over the ready ones, nothing new to one that is draining,
 * a retry on another replica only when the connection was never made.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startGateway, type Gateway, type GatewayOptions } from '../gateway';
import { lineSplitter } from '@ticketing/common/local';
import { loadReadinessPath, loadRoutes } from '../routes';
import { eventually } from '../user';

interface Replica {
  name: string;
  port: number;
  proc: ChildProcess;
  /** `<METHOD> <url>` of every request that reached it. */
  received: string[];
  exited: Promise<void>;
}

const live = new Set<ChildProcess>();

async function startReplica(name: string, drainMs = 0): Promise<Replica> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'replica.ts')], {
    env: { PATH: process.env.PATH, REPLICA_NAME: name, DRAIN_MS: String(drainMs), PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  live.add(proc);
  const exited = new Promise<void>((r) =>
    proc.once('exit', () => {
      live.delete(proc);
      r();
    }),
  );
  const received: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', () => reject(new Error(`${name} exited before it listened`)));
    proc.stdout!.pipe(
      lineSplitter((line) => {
        const listening = /^listening (\d+)$/.exec(line);
        if (listening) resolve(Number(listening[1]));
        const got = /^received (.*)$/.exec(line);
        if (got) received.push(got[1]!);
      }),
    );
  });
  return { name, port, proc, received, exited };
}

const routes = loadRoutes();
const readinessPath = loadReadinessPath();

async function gatewayOver(replicas: Replica[], options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  return startGateway({
    routes,
    readinessPath,
    healthCheckIntervalMs: 100,
    // Generous: a probe slowed by a busy machine must not take a healthy replica out mid-test.
    healthCheckTimeoutMs: 5_000,
    upstream: (service) =>
      service === 'tickets' ? replicas.map((r) => ({ host: '127.0.0.1', port: r.port })) : undefined,
    ...options,
  });
}

interface Answer {
  status: number;
  replica?: string;
  body?: string;
}

async function send(gateway: Gateway, urlPath: string, body?: string): Promise<Answer> {
  const res = await fetch(`${gateway.url}${urlPath}`, body === undefined ? {} : { method: 'POST', body });
  const text = await res.text();
  if (res.status !== 200) return { status: res.status };
  const json = JSON.parse(text) as { replica: string; body: string };
  return { status: res.status, replica: json.replica, body: json.body };
}

let gateway: Gateway | undefined;

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  for (const p of live) p.kill('SIGKILL');
});

describe('the gateway over replicas', () => {
  it('sends requests round-robin to the ready replicas of the route table', async () => {
    const replicas = [await startReplica('a'), await startReplica('b')];
    // One round of probes (both ready) before the first request, none after: the split is exact.
    gateway = await gatewayOver(replicas, { healthCheckIntervalMs: 600_000 });

    const answers: Answer[] = [];
    for (let i = 0; i < 20; i++) answers.push(await send(gateway, `/api/tickets/${i}`));

    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.filter((a) => a.replica === 'a')).toHaveLength(10);
    expect(answers.filter((a) => a.replica === 'b')).toHaveLength(10);
  });

  it('stops sending to a replica once it drains after SIGTERM, and no request fails while it stops', async () => {
    const [a, b] = [await startReplica('a', 1500), await startReplica('b', 1500)];
    gateway = await gatewayOver([a!, b!]);
    const g = gateway;

    let running = true;
    let seenUnready = false;
    const failures: string[] = [];
    const afterUnready: Answer[] = [];
    const client = async () => {
      let i = 0;
      while (running) {
        const sentAfterUnready = seenUnready;
        try {
          const answer = await send(g, `/api/tickets/${i++}`);
          if (answer.status !== 200) failures.push(`status ${answer.status}`);
          if (sentAfterUnready) afterUnready.push(answer);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const clients = Array.from({ length: 4 }, () => client());

    await eventually('requests reach a', async () => (a!.received.length > 5 ? true : undefined));
    a!.proc.kill('SIGTERM');
    await eventually('the gateway sees a unready', async () =>
      g.upstreams('tickets').find((u) => u.port === a!.port)?.ready === false ? true : undefined,
    );
    seenUnready = true;
    await a!.exited;
    await eventually('requests reach b after a exited', async () =>
      afterUnready.length > 20 ? true : undefined,
    );
    running = false;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    expect(afterUnready.filter((x) => x.replica !== 'b')).toEqual([]);
  });

  it('stops sending to a replica frozen with SIGSTOP once its probe times out, and takes it back after SIGCONT', async () => {
    const [a, b] = [await startReplica('a'), await startReplica('b')];
    gateway = await gatewayOver([a!, b!], { healthCheckTimeoutMs: 500 });
    const g = gateway;
    const readyOf = (r: Replica) => g.upstreams('tickets').find((u) => u.port === r.port)?.ready;

    a!.proc.kill('SIGSTOP');
    await eventually('the gateway sees a unready', async () => (readyOf(a!) === false ? true : undefined));
    const whileFrozen: Answer[] = [];
    for (let i = 0; i < 6; i++) whileFrozen.push(await send(g, `/api/tickets/${i}`));
    a!.proc.kill('SIGCONT');
    await g.waitUntilReady('tickets', a!.port, 10_000);
    const afterwards: Answer[] = [];
    for (let i = 0; i < 6; i++) afterwards.push(await send(g, `/api/tickets/${i}`));

    expect(whileFrozen.map((x) => x.replica)).toEqual(Array(6).fill('b'));
    expect(afterwards.map((x) => x.replica)).toContain('a');
  });

  it('retries on another replica when the connection is refused, with the request body intact', async () => {
    const [a, b] = [await startReplica('a'), await startReplica('b')];
    const retried: number[] = [];
    // The health checks must not notice first: the retry is what keeps these requests whole.
    gateway = await gatewayOver([a!, b!], {
      healthCheckIntervalMs: 600_000,
      onRetry: ({ upstream }) => retried.push(upstream.port),
    });
    a!.proc.kill('SIGKILL');
    await a!.exited;

    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await send(gateway, '/api/tickets', `body ${i}`));

    expect(answers).toEqual(
      Array.from({ length: 6 }, (_, i) => ({ status: 200, replica: 'b', body: `body ${i}` })),
    );
    // Once refused, a gets no request until a probe passes again: one retry in all.
    expect(retried).toEqual([a!.port]);
    expect(gateway.upstreams('tickets').find((u) => u.port === a!.port)?.ready).toBe(false);
  });

  it('never sends a request twice: a connection reset after it reached a replica is a 502', async () => {
    const [a, b] = [await startReplica('a'), await startReplica('b')];
    const failedAt: number[] = [];
    const retried: number[] = [];
    gateway = await gatewayOver([a!, b!], {
      onError: ({ upstream }) => failedAt.push(upstream!.port),
      onRetry: ({ upstream }) => retried.push(upstream.port),
    });

    const answer = await send(gateway, '/api/tickets/reset', 'pay once');

    expect(answer.status).toBe(502);
    const reached = [a!, b!].filter((r) => r.received.includes('POST /api/tickets/reset'));
    expect(reached.map((r) => r.received.filter((x) => x.endsWith('/reset')).length)).toEqual([1]);
    expect(failedAt).toEqual([reached[0]!.port]);
    expect(retried).toEqual([]);
  });
});
