import type { Logger } from 'pino';

/** Something started alongside a service and stopped before NATS and the pool close. */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface PeriodicJobOptions {
  /** Names the job in its log lines (`refund round failed`). */
  name: string;
  logger: Logger;
  /** Pause between the end of one round and the start of the next: rounds never overlap. */
  intervalMs: number;
  /** Run the first round at once instead of after the first pause. */
  immediately?: boolean;
  /** One round; `shouldStop()` turns true once `stop()` was called, so a long round can end early. */
  round: (shouldStop: () => boolean) => Promise<void>;
}

/**
 * A background job run in rounds until stopped (the janitors, payments' reconciler and refund
 * worker). A failing round is logged and the next one comes anyway. `stop()` cancels the next
 * round and resolves once the round in flight has finished.
 */
export function startPeriodicJob(options: PeriodicJobOptions): Stoppable {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> | undefined;
  const shouldStop = () => stopped;

  const run = () => {
    round = options
      .round(shouldStop)
      .catch((err: unknown) => options.logger.warn({ err }, `${options.name} round failed, will retry`))
      .finally(() => {
        round = undefined;
        schedule();
      });
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(run, options.intervalMs);
    // A job never keeps a process alive on its own: the service's server and connections do.
    timer.unref();
  };
  if (options.immediately) run();
  else schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
