import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { deleteInBatches } from '../db/delete-in-batches';
import { startPeriodicJob, type Stoppable } from '../service/periodic-job';

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
  private job?: Stoppable;

  constructor(private readonly options: IdempotencyKeyJanitorOptions) {}

  /** Sweeps now, then every `intervalMs`, until `stop`. */
  start(): void {
    this.job ??= startPeriodicJob({
      name: 'idempotency key cleanup',
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

  /** Deletes every expired key; returns how many. */
  cleanup(): Promise<number> {
    return deleteInBatches(
      this.options.pool,
      'idempotency_keys',
      'expires_at <= now()',
      [],
      this.options.batchSize,
    );
  }
}
