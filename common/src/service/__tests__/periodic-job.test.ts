import pino from 'pino';
import { silentLogger } from '../../http/logger';
import { waitFor } from '../../testing/wait-for';
import { startPeriodicJob } from '../periodic-job';

describe('startPeriodicJob', () => {
  it('runs the next round only after the last one ended, so rounds never overlap', async () => {
    let running = 0;
    let overlapped = false;
    let rounds = 0;
    const job = startPeriodicJob({
      name: 'test',
      logger: silentLogger(),
      intervalMs: 1,
      immediately: true,
      round: async () => {
        overlapped ||= running > 0;
        running++;
        await new Promise((r) => setTimeout(r, 20));
        running--;
        rounds++;
      },
    });
    await waitFor(async () => (rounds >= 5 ? true : undefined));
    await job.stop();
    expect(overlapped).toBe(false);
  });

  it('logs a failing round and runs the next one anyway', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    let rounds = 0;
    const job = startPeriodicJob({
      name: 'flaky',
      logger,
      intervalMs: 1,
      round: async () => {
        rounds++;
        if (rounds === 1) throw new Error('database down');
      },
    });
    await waitFor(async () => (rounds >= 2 ? true : undefined));
    await job.stop();
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain(
      'flaky round failed, will retry',
    );
  });

  it('on stop, waits for the round in flight, which sees shouldStop, and starts no other', async () => {
    let sawStop = false;
    let rounds = 0;
    let inRound!: () => void;
    const started = new Promise<void>((r) => (inRound = r));
    const job = startPeriodicJob({
      name: 'test',
      logger: silentLogger(),
      intervalMs: 1,
      immediately: true,
      round: async (shouldStop) => {
        rounds++;
        inRound();
        await waitFor(async () => (shouldStop() ? true : undefined));
        sawStop = shouldStop();
      },
    });
    await started;
    await job.stop();
    expect(sawStop).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(rounds).toBe(1);
  });
});
