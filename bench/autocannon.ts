/** What the HTTP benchmarks share: one autocannon run in a process of its own, and the median. */
import { spawn } from 'node:child_process';
import path from 'node:path';

/** One autocannon measurement: wall-clock rate and latency, and every failed request counted once. */
export interface AutocannonRun {
  rps: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  requests: number;
}

/**
 * Runs autocannon against `url` for `seconds` with `connections` keep-alive connections, in its own
 * process so that its CPU is not the measured process's; `flags` are autocannon's own (`-H`, `-m`, `-b`).
 */
export function runAutocannon(
  url: string,
  options: { connections: number; seconds: number; flags?: string[] },
): Promise<AutocannonRun> {
  const bin = path.join(path.dirname(require.resolve('autocannon/package.json')), 'autocannon.js');
  const flags = [
    '-c',
    String(options.connections),
    '-d',
    String(options.seconds),
    '-j',
    '--renderStatusCodes',
  ];
  const proc = spawn(process.execPath, [bin, ...flags, ...(options.flags ?? []), url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err}`));
      const r = JSON.parse(out) as {
        requests: { average: number; total: number };
        latency: { p50: number; p99: number };
        errors: number;
        timeouts: number;
        non2xx: number;
      };
      resolve({
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
        requests: r.requests.total,
      });
    });
  });
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
