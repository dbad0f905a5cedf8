import { execFileSync } from 'node:child_process';
import { sql } from 'drizzle-orm';
import request from 'supertest';
import { createDatabase, isDatabaseUnavailable } from '../../db/database';
import { silentLogger } from '../../http/logger';
import { NATS_TEST_USER, startNatsServer, type NatsServerHandle } from '../../testing/nats-server';
import { adminQuery, startPostgres, type PostgresServerHandle } from '../../testing/postgres';
import { waitFor } from '../../testing/wait-for';
import { startService, type RunningService } from '../run-service';
import { demoCatalog, demoService } from './fixtures/demo-service';

// This file stops a PostgreSQL server, so it starts its own rather than sharing the run's.
let pg: PostgresServerHandle;
let nats: NatsServerHandle;
let service: RunningService;

const CONNECT_TIMEOUT_MS = 1_000;
const STATEMENT_TIMEOUT_MS = 1_000;
// The slowest path to a 503: waiting for a pool slot and a connection, then the client-side statement
// bound (statement timeout + 1 s); plus slack for a loaded machine.
const ANSWER_BOUND_MS = CONNECT_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + 1_000 + 3_000;

beforeAll(async () => {
  [pg, nats] = await Promise.all([startPostgres(), startNatsServer()]);
  await adminQuery(pg.url(), 'create database stall_test');
  service = await startService(demoService, {
    env: {
      DATABASE_URL: pg.url('stall_test'),
      ...nats.env(NATS_TEST_USER),
      DEMO_KEY: 'x',
      PORT: '0',
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
    },
    logger: silentLogger(),
    catalog: demoCatalog,
  });
});

afterAll(async () => {
  await service?.stop();
  await Promise.all([pg?.stop(), nats?.stop()]);
});

/** This test's PostgreSQL server: its postmaster and every process it started (backends included). */
function serverProcesses(): number[] {
  const postmaster = pg.pid();
  if (!postmaster) throw new Error('the test PostgreSQL server is not running');
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    // pgrep exits 1 when the postmaster has no children.
  }
  return [postmaster, ...children];
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // A backend that ended meanwhile.
    }
  }
}

async function timed(send: () => Promise<request.Response>) {
  const started = Date.now();
  const res = await send();
  return { res, ms: Date.now() - started };
}

it('answers 503 with Retry-After within its bound while the database hangs, and recovers by itself', async () => {
  await request(service.url).post('/api/demo').expect(201);
  const before = await adminQuery(pg.url('stall_test'), 'select count(*)::int as n from outbox');

  const stopped = serverProcesses();
  signal(stopped, 'SIGSTOP');
  let answers: { res: request.Response; ms: number }[];
  try {
    // More requests than the pool has connections: some wait for a slot, some for a statement.
    answers = await Promise.all(
      Array.from({ length: 15 }, () => timed(() => request(service.url).post('/api/demo'))),
    );
    // Keep the server stopped for ~10 s in all, as a stalled database would be.
    await new Promise((r) => setTimeout(r, 4_000));
    answers.push(await timed(() => request(service.url).post('/api/demo')));
  } finally {
    signal(stopped, 'SIGCONT');
  }

  for (const { res, ms } of answers) {
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
    expect(res.body).toEqual({ errors: [{ message: expect.any(String) }] });
    expect(ms).toBeLessThan(ANSWER_BOUND_MS);
  }

  // No manual step: the same process serves again once the database answers.
  await waitFor(async () => (await request(service.url).post('/api/demo')).status === 201, {
    timeoutMs: 20_000,
  });
  // Nothing the refused requests began was committed behind their 503.
  const after = await adminQuery(pg.url('stall_test'), 'select count(*)::int as n from outbox');
  expect(after[0].n).toBe((before[0].n as number) + 1);
});

it('fails a transaction whose connection stops answering mid-way as database-unavailable (503), not with its rollback', async () => {
  const handle = createDatabase(pg.url('stall_test'), {
    max: 1,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
  });
  let backend = 0;
  try {
    const failure = await handle.db
      .transaction(async (tx) => {
        const { rows } = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
        backend = rows[0]!.pid;
        // Only this transaction's server process stops: the rest of the server answers.
        signal([backend], 'SIGSTOP');
        await tx.execute(sql`select 1`);
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    signal([backend], 'SIGCONT');

    expect(failure).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(failure)).toBe(true);
    // The pool's one slot was given back: the next caller gets a fresh connection.
    const { rows } = await handle.pool.query('select pg_backend_pid() as pid');
    expect(rows[0].pid).not.toBe(backend);
  } finally {
    if (backend) signal([backend], 'SIGCONT');
    await handle.close();
  }
});

it('fails a transaction whose connection is lost mid-way as database-unavailable (503), not with its rollback', async () => {
  const handle = createDatabase(pg.url('stall_test'), { max: 1 });
  try {
    const failure = await handle.db
      .transaction(async (tx) => {
        const { rows } = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
        // As a server restart or a failover would: this connection ends under the transaction.
        await adminQuery(pg.url('stall_test'), `select pg_terminate_backend(${Number(rows[0]!.pid)})`);
        await tx.execute(sql`select 1`);
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );

    expect(failure).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(failure)).toBe(true);
    await expect(handle.pool.query('select 1 as one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
  } finally {
    await handle.close();
  }
});
