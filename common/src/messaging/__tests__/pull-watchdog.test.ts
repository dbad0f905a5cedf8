/**
 * The watchdog's judgement, fed the consumer info a server gives in each situation (the states of
 * a dead pull cannot be produced on demand by a real server; consumer-partition.test.ts shows the
 * watchdog at work on a real cluster).
 */
import type { ConsumerInfo } from '@nats-io/jetstream';
import { PullWatchdog, type PullVerdict } from '../pull-watchdog';

const STALL_MS = 10_000;
const ACK_WAIT_MS = 10_000;

/** The part of consumer info the watchdog reads. */
function info(state: { pending: number; unacked?: number; delivered: number }): ConsumerInfo {
  return {
    num_pending: state.pending,
    num_ack_pending: state.unacked ?? 0,
    delivered: { consumer_seq: state.delivered, stream_seq: state.delivered },
    config: { max_ack_pending: 1000 },
  } as ConsumerInfo;
}

/** A watchdog on a clock the test moves, reading whatever `server` holds at each look. */
function watch() {
  let now = 0;
  const server: { answer: ConsumerInfo | Error | (() => ConsumerInfo) } = {
    answer: info({ pending: 0, delivered: 0 }),
  };
  const watchdog = new PullWatchdog({
    info: async () => {
      if (server.answer instanceof Error) throw server.answer;
      return typeof server.answer === 'function' ? server.answer() : server.answer;
    },
    stallMs: STALL_MS,
    ackWaitMs: ACK_WAIT_MS,
    onRepull: () => undefined,
    onReconnect: () => undefined,
    now: () => now,
  });
  /** Looks every half stallMs for `ms`; returns the verdicts that were not 'live'. */
  async function runFor(ms: number): Promise<PullVerdict[]> {
    const verdicts: PullVerdict[] = [];
    for (const end = now + ms; now < end;) {
      now += STALL_MS / 2;
      const verdict = await watchdog.check();
      if (verdict !== 'live') verdicts.push(verdict);
    }
    return verdicts;
  }
  return { watchdog, server, runFor };
}

describe('the watchdog of a pull consumer', () => {
  it('asks for a fresh pull when events wait on the server and reach nobody', async () => {
    const { server, runFor } = watch();
    server.answer = info({ pending: 3, delivered: 40 });

    expect(await runFor(3 * STALL_MS)).toEqual(['repull']);
  });

  it('leaves the pull alone while the server keeps delivering to another replica', async () => {
    const { server, runFor } = watch();
    let delivered = 40;
    server.answer = () => info({ pending: 3, delivered: ++delivered });

    expect(await runFor(5 * STALL_MS)).toEqual([]);
  });

  it('leaves the pull alone while messages keep arriving', async () => {
    const { watchdog, server, runFor } = watch();
    server.answer = info({ pending: 3, delivered: 40 });
    const verdicts: PullVerdict[] = [];

    for (let i = 0; i < 10; i++) {
      verdicts.push(...(await runFor(STALL_MS / 2)));
      watchdog.active();
    }

    expect(verdicts).toEqual([]);
  });

  it('waits out the ack wait before judging events delivered but unacked', async () => {
    const { server, runFor } = watch();
    server.answer = info({ pending: 0, unacked: 2, delivered: 40 });

    expect(await runFor(2 * STALL_MS)).toEqual([]);
    expect(await runFor(STALL_MS + ACK_WAIT_MS)).toEqual(['repull']);
  });

  it('moves to another server when a fresh pull brought nothing either', async () => {
    const { server, runFor } = watch();
    server.answer = info({ pending: 3, delivered: 40 });

    expect(await runFor(4 * STALL_MS)).toEqual(['repull', 'reconnect']);
  });

  it('moves to another server when JetStream does not answer through this one', async () => {
    const { server, runFor } = watch();
    server.answer = new Error('JetStream system temporarily unavailable');

    expect(await runFor(3 * STALL_MS)).toEqual(['reconnect']);
  });

  it('does nothing while the durable has nothing for anyone', async () => {
    const { server, runFor } = watch();
    server.answer = info({ pending: 0, delivered: 40 });

    expect(await runFor(10 * STALL_MS)).toEqual([]);
  });
});
