import { startPeriodicJob, type Database, type Logger, type Stoppable } from '@ticketing/common';
import { reconcileStaleAttempts } from './domain/reconcile';
import type { PaymentProvider } from './providers';

/** What the reconciler needs: the service's database, its one provider, a logger and the period. */
export interface ReconcilerOptions {
  db: Database;
  provider: PaymentProvider;
  logger: Logger;
  /** Pause between the end of one round and the start of the next (RECONCILE_INTERVAL_MS). */
  intervalMs: number;
}

/**
 * The background job that settles abandoned payment attempts (`reconcileStaleAttempts`) every
 * `intervalMs`, on every replica (the claims skip each other's rows). A failing round is logged
 * and the next one comes anyway. `stop()` cancels the next round and resolves once the round in
 * flight has finished the attempt in hand (it claims no more).
 */
export function startReconciler({ db, provider, logger, intervalMs }: ReconcilerOptions): Stoppable {
  return startPeriodicJob({
    name: 'reconcile',
    logger,
    intervalMs,
    round: async (shouldStop) => {
      const result = await reconcileStaleAttempts(db, provider, logger, { shouldStop });
      if (result.settled + result.failed > 0) logger.info(result, 'reconcile round done');
    },
  });
}
