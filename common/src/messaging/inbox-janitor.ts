import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { deleteInBatches } from '../db/delete-in-batches';
import { startPeriodicJob, type Stoppable } from '../service/periodic-job';

/** Options of an inbox janitor. */
export interface InboxJanitorOptions {
  pool: Pool;
  logger: Logger;
  /**
   * Inbox rows are deleted this long after they were processed (0 keeps them forever). It must
   * outlast the producers' outbox retention, so that a republished event is still recognised.
   */
  retentionMs: number;
  /** How often to look for expired rows. */
  intervalMs?: number;
  /** Rows deleted per statement, so one sweep never holds a long lock. */
  batchSize?: number;
}

/**
 * Deletes the consumer side's inbox rows past retention. The inbox is what makes redelivery
 * harmless, so it is pruned by the side that reads it, on its own schedule, and never by the relay.
 */
export class InboxJanitor {
  private job?: Stoppable;

  constructor(private readonly options: InboxJanitorOptions) {}

  /** Sweeps now, then every `intervalMs`, until `stop`. Does nothing when retention is 0. */
  start(): void {
    if (this.options.retentionMs <= 0) return;
    this.job ??= startPeriodicJob({
      name: 'inbox cleanup',
      logger: this.options.logger,
      intervalMs: this.options.intervalMs ?? 60_000,
      immediately: true,
      round: async () => void (await this.cleanup()),
    });
  }

  /** Stops sweeping; waits for a sweep in flight. */
  async stop(): Promise<void> {
    await this.job?.stop();
    this.job = undefined;
  }

  /** Deletes every inbox row processed longer than `retentionMs` ago; returns how many. */
  async cleanup(): Promise<number> {
    if (this.options.retentionMs <= 0) return 0;
    return deleteInBatches(
      this.options.pool,
      'inbox',
      'processed_at < now() - make_interval(secs => $1::double precision / 1000)',
      [this.options.retentionMs],
      this.options.batchSize,
    );
  }
}
