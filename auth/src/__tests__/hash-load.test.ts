import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@ticketing/common';
import { startMain, startMessagingFixture, type MainProcess } from '@ticketing/common/testing';
import { configSpec } from '../config';
import { requiredMemoryLimitMi } from '../domain/memory-budget';
import { JWT_KEY, PASSWORD, uniqueEmail } from './helpers';

const serviceDir = path.join(__dirname, '..', '..');
const BURST = 20;

/** A /proc/<pid>/status field in KiB (VmHWM: the peak resident set). */
function procKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
}

async function post(base: string, route: 'signup' | 'signin', email: string) {
  const res = await fetch(`${base}/api/users/${route}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

describe('auth under a burst of sign-ups and sign-ins at the default scrypt cost', () => {
  let main: MainProcess;
  let teardown: () => Promise<void>;
  let base: string;

  beforeAll(async () => {
    const fixture = await startMessagingFixture('auth');
    teardown = fixture.stop;
    // The defaults of SCRYPT_N, SCRYPT_R and HASH_CONCURRENCY, as deployed.
    main = startMain(serviceDir, {
      DATABASE_URL: fixture.db.url,
      NATS_URL: fixture.nats.url,
      JWT_KEY,
      PORT: '0',
    });
    base = await main.url(120_000);
  }, 180_000);
  afterAll(async () => {
    await main?.stop();
    await teardown?.();
  });

  it('answers each request with success or 503 and Retry-After, keeps running, and stays under its memory limit', async () => {
    const defaults = loadConfig(configSpec, {
      DATABASE_URL: 'postgres://x/y',
      NATS_URL: 'nats://x',
      JWT_KEY,
    });
    const limitKiB =
      requiredMemoryLimitMi(
        { N: defaults.SCRYPT_N, r: defaults.SCRYPT_R, p: defaults.SCRYPT_P },
        defaults.HASH_CONCURRENCY,
      ) * 1024;
    const existing: string[] = [];
    for (let i = 0; i < BURST / 2; i++) {
      const email = uniqueEmail();
      expect((await post(base, 'signup', email)).status).toBe(201);
      existing.push(email);
    }
    const beforeKiB = procKiB(main.child.pid!, 'VmRSS');

    const started = Date.now();
    const results = await Promise.all([
      ...existing.map((email) => post(base, 'signin', email)),
      ...existing.map(() => post(base, 'signup', uniqueEmail())),
    ]);
    const elapsedMs = Date.now() - started;

    const peakKiB = procKiB(main.child.pid!, 'VmHWM');
    const statuses = results.map((r) => r.status);
    console.log(
      `hash burst: ${BURST} requests in ${elapsedMs} ms, statuses ${statuses.join(',')}; ` +
        `RSS before ${Math.round(beforeKiB / 1024)} MiB, peak ${Math.round(peakKiB / 1024)} MiB, limit ${limitKiB / 1024} MiB`,
    );
    for (const [i, r] of results.entries()) {
      if (r.status === 503) {
        expect(r.retryAfter).toMatch(/^[1-9]\d*$/);
        expect(r.body).toEqual({ errors: [{ message: expect.any(String) }] });
      } else {
        expect([i, r.status]).toEqual([i, i < BURST / 2 ? 200 : 201]);
      }
    }
    expect(statuses.filter((s) => s !== 503).length).toBeGreaterThan(0);
    expect(main.child.exitCode).toBeNull();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(peakKiB).toBeLessThan(limitKiB);
  }, 300_000);
});
