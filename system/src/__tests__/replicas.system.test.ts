/**
 * The production shape on one machine: two replicas of every service behind the balancing
 * gateway, each pair sharing its database, its outbox and its durable consumers. One system serves
 * both scenarios, each during 500 purchases by 20 concurrent buyers and each ending with the
 * invariants once the system is quiet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkInvariants, waitForQuiescence } from '../invariants';
import { runPurchases, type PurchaseRunReport } from '../purchases';
import { rollingRestart } from '../rollout';
import { repoRoot } from '../routes';
import { startSystem, type ProcessHandle, type RunningSystem } from '../system';

const REPLICAS = 2;
const PURCHASES = 500;
const CONCURRENCY = 20;
const SELLERS = 5;
const artifacts = path.join(repoRoot, 'artifacts');
const logFile = path.join(artifacts, 'system-replicas.log');

let system: RunningSystem;
let log: fs.WriteStream;
/** The gateway's `<service> unavailable for <url> at <host:port>` lines: requests it answered 502/504. */
const gatewayFailures: string[] = [];

/** Lines that must show in the test output as well as the log file (the kills and restarts). */
function announce(line: string): void {
  log.write(`${new Date().toISOString()} [test] ${line}\n`);
  console.log(line);
}

function summary(run: PurchaseRunReport): string {
  const failed = run.failedRequests.map((r) => `${r.route} → ${r.status}${r.error ? ` ${r.error}` : ''}`);
  return `${run.purchases} purchases in ${run.seconds.toFixed(1)} s: ${JSON.stringify(run.outcomes)} ${JSON.stringify(run.statuses)}; failed requests: ${failed.length}${failed.length ? ` ${JSON.stringify(failed)}` : ''}`;
}

/** Quiet (scheduled expiries included), then every invariant. */
async function expectInvariants(): Promise<void> {
  const settleMs = await waitForQuiescence(system.postgresUrl, 180_000, { scheduled: true });
  const report = await checkInvariants(system.postgresUrl);
  announce(`settled in ${settleMs} ms; figures: ${JSON.stringify(report.figures)}`);
  expect(report.problems).toEqual([]);
}

beforeAll(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  log = fs.createWriteStream(logFile);
  system = await startSystem({
    ephemeral: true,
    gatewayPort: 0,
    gatewayHost: '127.0.0.1',
    client: false,
    replicas: REPLICAS,
    // Unpaid orders expire soon after the run, so the system is quiet soon after it too.
    env: { ...process.env, SCRYPT_N: '1024', LOG_LEVEL: 'info', EXPIRATION_WINDOW_SECONDS: '20' },
    log: (line) => {
      if (/^\[gateway\] \w+ unavailable for /.test(line)) gatewayFailures.push(line);
      log.write(`${line}\n`);
    },
  });
  announce(
    `system up at ${system.gatewayUrl} with ${REPLICAS} replicas of every service; logs in ${path.relative(repoRoot, logFile)}`,
  );
}, 180_000);

afterAll(async () => {
  await system?.stop();
  await new Promise((r) => log?.end(r));
}, 60_000);

describe(`${REPLICAS} replicas of every service`, () => {
  it('balances the API over both replicas of each service', () => {
    for (const service of ['auth', 'tickets', 'orders', 'payments']) {
      expect(system.gateway.upstreams(service).map((u) => u.ready)).toEqual([true, true]);
    }
  });

  it('loses and doubles nothing when a replica of orders and one of tickets are killed mid-run and stay down', async () => {
    const killed: ProcessHandle[] = [];
    const kill = async (replica: ProcessHandle, done: number) => {
      const pid = replica.pid;
      await replica.kill('SIGKILL');
      killed.push(replica);
      announce(`killed ${replica.name} (pid ${pid}) with SIGKILL after ${done} purchases; it stays down`);
    };
    gatewayFailures.length = 0;
    const run = await runPurchases({
      gatewayUrl: system.gatewayUrl,
      purchases: PURCHASES,
      concurrency: CONCURRENCY,
      sellers: SELLERS,
      title: 'Replica kill',
      during: async (progress) => {
        await progress.reached(150);
        await kill(system.replicas.orders[0]!, progress.done);
        await progress.reached(250);
        await kill(system.replicas.tickets[1]!, progress.done);
      },
    });
    announce(summary(run));

    // The survivors alone must publish the dead relays' rows and handle their unacked messages.
    await expectInvariants();
    // Only what was in flight on a killed process may fail: each failed request is a 502 the
    // gateway answered for a request it had sent to a killed replica (at most one per user per kill).
    const killedAt = new Set(killed.map((r) => `127.0.0.1:${r.port}`));
    expect(run.failedRequests.filter((r) => r.status !== 502)).toEqual([]);
    expect(gatewayFailures.filter((line) => !killedAt.has(/ at (\S+):/.exec(line)?.[1] ?? ''))).toEqual([]);
    expect(gatewayFailures).toHaveLength(run.failedRequests.length);
    expect(run.failedRequests.length).toBeLessThanOrEqual((CONCURRENCY + SELLERS) * killed.length);
    expect(run.outcomes.paid).toBeGreaterThan(PURCHASES * 0.8);

    for (const replica of killed) {
      await replica.restart();
      await system.gateway.waitUntilReady(replica.name.replace(/-\d+$/, ''), replica.port);
      announce(`restarted ${replica.name} (pid ${replica.pid})`);
    }
  });

  it('fails no request while every service is restarted one replica at a time with SIGTERM', async () => {
    gatewayFailures.length = 0;
    const run = await runPurchases({
      gatewayUrl: system.gatewayUrl,
      purchases: PURCHASES,
      concurrency: CONCURRENCY,
      sellers: SELLERS,
      title: 'Rolling restart',
      // Users buy the whole time the replicas are restarted, however long that takes.
      untilDuringDone: true,
      during: async (progress) => {
        await progress.reached(20);
        announce(`rolling restart begins after ${progress.done} purchases`);
        await rollingRestart(system, {
          log: (line) => announce(`${line} (${progress.done} purchases)`),
        });
        announce(`rolling restart done after ${progress.done} purchases`);
      },
    });
    announce(summary(run));

    expect(run.failedRequests).toEqual([]);
    expect(gatewayFailures).toEqual([]);
    await expectInvariants();
    // A hang guard, not a speed bar: the purchases run as long as the ten restarts take, and on a
    // slow, busy 2-core machine each replica took 25–33 s to start again (296 s in all).
  }, 600_000);
});
