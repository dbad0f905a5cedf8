import type { Pool } from 'pg';
import type { Logger } from 'pino';

/** Options of an idempotency-key janitor. */
export interface IdempotencyKeyJanitorOptions {
  pool: Pool;
  logger: Logger;
  /** How often to look for expired keys. */
  intervalMs?: number;
  /** Rows deleted per statement, so one sweep never holds a long lock. */
  batchSize?: number;
}

/**
 * Deletes the idempotency keys past their `expires_at` (set from IDEMPOTENCY_KEY_RETENTION_HOURS
 * when each was stored). Lookups ignore expired keys already; this only keeps the table small.
 */
export class IdempotencyKeyJanitor {
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;
  private readonly intervalMs: number;
  private readonly batchSize: number;

  constructor(private readonly options: IdempotencyKeyJanitorOptions) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.batchSize = options.batchSize ?? 5_000;
  }

  /** Sweeps now, then every `intervalMs`, until `stop`. */
  start(): void {
    if (this.timer) return;
    const sweep = () => {
      this.sweeping = this.cleanup().catch((err: unknown) =>
        this.options.logger.warn({ err }, 'idempotency key cleanup failed, will retry'),
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

  /** Deletes every expired key; returns how many. */
  async cleanup(): Promise<number> {
    let total = 0;
    for (;;) {
      const r = await this.options.pool.query(
        `delete from idempotency_keys where ctid in (select ctid from idempotency_keys
           where expires_at <= now() limit $1)`,
        [this.batchSize],
      );
      const n = r.rowCount ?? 0;
      total += n;
      if (n < this.batchSize) return total;
    }
  }
}
