import type { Pool } from 'pg';
import type { Logger } from 'pino';

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
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;
  private readonly intervalMs: number;
  private readonly batchSize: number;

  constructor(private readonly options: InboxJanitorOptions) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.batchSize = options.batchSize ?? 5_000;
  }

  /** Sweeps now, then every `intervalMs`, until `stop`. Does nothing when retention is 0. */
  start(): void {
    if (this.timer || this.options.retentionMs <= 0) return;
    const sweep = () => {
      this.sweeping = this.cleanup().catch((err: unknown) =>
        this.options.logger.warn({ err }, 'inbox cleanup failed, will retry'),
      );
    };
    this.timer = setInterval(sweep, this.intervalMs);
    this.timer.unref();
    sweep();
  }

  /** Stops sweeping; waits for a sweep in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /** Deletes every inbox row processed longer than `retentionMs` ago; returns how many. */
  async cleanup(): Promise<number> {
    if (this.options.retentionMs <= 0) return 0;
    let total = 0;
    for (;;) {
      const r = await this.options.pool.query(
        `delete from inbox where ctid in (select ctid from inbox
           where processed_at < now() - make_interval(secs => $1::double precision / 1000) limit $2)`,
        [this.options.retentionMs, this.batchSize],
      );
      const n = r.rowCount ?? 0;
      total += n;
      if (n < this.batchSize) return total;
    }
  }
}
