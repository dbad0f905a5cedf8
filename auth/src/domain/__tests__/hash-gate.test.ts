import { ServiceUnavailableError } from '@ticketing/common';
import { createHashGate } from '../hash-gate';

/** A task the test finishes by hand. */
function deferredTask() {
  let finish!: () => void;
  let fail!: (err: Error) => void;
  let started = false;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    task: () => {
      started = true;
      return done;
    },
    get started() {
      return started;
    },
    finish,
    fail,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('createHashGate', () => {
  it('runs no more tasks at once than its concurrency', async () => {
    const gate = createHashGate({ concurrency: 2, queueTimeoutMs: 10_000 });
    const tasks = [deferredTask(), deferredTask(), deferredTask()];

    const runs = tasks.map((t) => gate.run(t.task));
    await tick();

    expect(tasks.map((t) => t.started)).toEqual([true, true, false]);
    expect(gate.load).toEqual({ running: 2, waiting: 1 });
    tasks.forEach((t) => t.finish());
    await Promise.all(runs);
  });

  it('starts the first waiting task as soon as a running one finishes', async () => {
    const gate = createHashGate({ concurrency: 1, queueTimeoutMs: 10_000 });
    const [first, second, third] = [deferredTask(), deferredTask(), deferredTask()];
    const runs = [gate.run(first.task), gate.run(second.task), gate.run(third.task)];

    first.finish();
    await runs[0];
    await tick();

    expect([second.started, third.started]).toEqual([true, false]);
    second.finish();
    third.finish();
    await Promise.all(runs);
  });

  it('frees the turn of a task that fails', async () => {
    const gate = createHashGate({ concurrency: 1, queueTimeoutMs: 10_000 });
    const [failing, next] = [deferredTask(), deferredTask()];
    const runs = [gate.run(failing.task), gate.run(next.task)];

    failing.fail(new Error('scrypt failed'));

    await expect(runs[0]).rejects.toThrow('scrypt failed');
    await tick();
    expect(next.started).toBe(true);
    next.finish();
    await runs[1];
  });

  it('refuses with 503 and Retry-After a task that waits longer than the queue timeout', async () => {
    const gate = createHashGate({ concurrency: 1, queueTimeoutMs: 20 });
    const [running, waiting] = [deferredTask(), deferredTask()];
    const first = gate.run(running.task);

    const refused = await gate.run(waiting.task).catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(ServiceUnavailableError);
    expect(refused).toMatchObject({ statusCode: 503, retryAfterSeconds: 1 });
    expect(waiting.started).toBe(false);
    expect(gate.load).toEqual({ running: 1, waiting: 0 });
    running.finish();
    await first;
  });
});
