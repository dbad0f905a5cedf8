import { ServiceUnavailableError } from '@ticketing/common';

/** How many password hashes may run at once, and how long one may wait for its turn. */
export interface HashLimits {
  /** Hashes in flight at once (each takes 128·N·r bytes: 128 MiB at N=2^17, r=8). */
  concurrency: number;
  /** Longest wait for a turn; past it the request gets 503 with Retry-After. */
  queueTimeoutMs: number;
}

/** Runs tasks at most `concurrency` at a time, first come first served, each waiting at most `queueTimeoutMs`. */
export interface HashGate {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Tasks running and waiting now. */
  readonly load: { running: number; waiting: number };
}

interface Waiter {
  start(): void;
}

/**
 * Bounds the hashes in flight so their memory stays within the pod's limit: without it, Node runs
 * as many as its libuv pool has threads (4) and a burst of sign-ins can exceed the limit and get the
 * pod OOM-killed. A request that cannot start within the wait fails fast with 503 instead.
 */
export function createHashGate({ concurrency, queueTimeoutMs }: HashLimits): HashGate {
  let running = 0;
  const waiting: Waiter[] = [];
  const retryAfterSeconds = Math.max(1, Math.ceil(queueTimeoutMs / 1000));

  const release = () => {
    running--;
    waiting.shift()?.start();
  };

  return {
    get load() {
      return { running, waiting: waiting.length };
    },
    run<T>(task: () => Promise<T>): Promise<T> {
      const go = (): Promise<T> => {
        running++;
        return task().finally(release);
      };
      if (running < concurrency) return go();
      return new Promise<T>((resolve, reject) => {
        const waiter: Waiter = {
          start() {
            clearTimeout(timer);
            go().then(resolve, reject);
          },
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(
            new ServiceUnavailableError('Too many sign-ins at once, try again shortly', retryAfterSeconds),
          );
        }, queueTimeoutMs);
        waiting.push(waiter);
      });
    },
  };
}
