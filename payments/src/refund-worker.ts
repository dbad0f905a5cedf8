import { Counter, Gauge, type Registry } from 'prom-client';
import { startPeriodicJob, type Database, type Logger, type Stoppable } from '@ticketing/common';
import {
  pendingRefundFigures,
  workOffDueRefunds,
  type PendingRefundFigures,
  type RefundRetryPolicy,
} from './domain/refunds';
import type { PaymentProvider } from './providers';

/** What the refund worker needs: the service's database, its one provider, a logger and its timings. */
export interface RefundWorkerOptions {
  db: Database;
  provider: PaymentProvider;
  logger: Logger;
  /** Pause between the end of one round (nothing left due) and the next (REFUND_INTERVAL_MS). */
  intervalMs: number;
  policy: RefundRetryPolicy;
  /** A refund pending longer than this is a warning (REFUND_PENDING_WARN_SECONDS). */
  warnAfterMs: number;
  /** Where the refund metrics go (the service's /metrics); none in tests that do not read them. */
  registry?: Registry;
}

/**
 * Registers the refund metrics: `refunds_pending` and `refunds_overdue` (pending longer than the
 * warning threshold: alert on it above 0) and `refunds_oldest_pending_seconds`, read from the
 * database at each scrape so that every replica reports the same truth; and
 * `refund_attempts_total{outcome}`, this replica's provider calls. Returns the counter.
 */
function registerRefundMetrics(registry: Registry, db: Database, warnAfterMs: number, logger: Logger) {
  let figures: Promise<PendingRefundFigures> | undefined;
  // The three gauges are collected together at each scrape: one query serves them all.
  const current = () => {
    figures ??= pendingRefundFigures(db, warnAfterMs).finally(() =>
      setImmediate(() => (figures = undefined)),
    );
    return figures;
  };
  const gauge = (name: string, help: string, pick: (f: PendingRefundFigures) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        try {
          this.set(pick(await current()));
        } catch (err) {
          // The scrape still answers (with the last values); the database's own checks say what is wrong.
          logger.warn({ err }, 'refund metrics not read');
        }
      },
    });
  gauge('refunds_pending', 'Refunds owed to buyers and not yet made', (f) => f.pending);
  gauge(
    'refunds_overdue',
    'Refunds pending longer than REFUND_PENDING_WARN_SECONDS (the provider keeps refusing them)',
    (f) => f.overdue,
  );
  gauge(
    'refunds_oldest_pending_seconds',
    'Age of the oldest pending refund (0 with none)',
    (f) => f.oldestAgeSeconds,
  );
  return new Counter({
    name: 'refund_attempts_total',
    help: 'Refund calls to the provider by this replica, by outcome (failed ones are retried)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
}

/**
 * The background job that makes owed refunds (`workOffDueRefunds`): a round every `intervalMs`
 * on every replica (the claims skip each other's rows). A failing round (the database down) is
 * logged and the next one comes anyway; the refunds wait in the database. `stop()` cancels the
 * next round and resolves once the round in flight has finished the refund in hand.
 */
export function startRefundWorker(options: RefundWorkerOptions): Stoppable {
  const { db, provider, logger, intervalMs, policy, warnAfterMs } = options;
  const attempts = options.registry && registerRefundMetrics(options.registry, db, warnAfterMs, logger);
  return startPeriodicJob({
    name: 'refund',
    logger,
    intervalMs,
    round: async (shouldStop) => {
      const result = await workOffDueRefunds(db, provider, logger, { policy, warnAfterMs, shouldStop });
      attempts?.inc({ outcome: 'refunded' }, result.refunded);
      attempts?.inc({ outcome: 'failed' }, result.failed);
    },
  });
}
