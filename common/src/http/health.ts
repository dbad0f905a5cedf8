import { Router } from 'express';

/** Options of `healthRoutes`. */
export interface HealthOptions {
  /** Readiness checks by name (e.g. `db`, `nats`); each resolves when the dependency is usable. */
  checks: Record<string, () => Promise<void>>;
  /** True once shutdown began: readiness turns false so the load balancer stops sending traffic. */
  isShuttingDown?: () => boolean;
  /** Time limit of each check; 2 s by default. */
  checkTimeoutMs?: number;
}

const MAX_MESSAGE_LENGTH = 120;

async function runCheck(check: () => Promise<void>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'ok';
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return `error: ${message.slice(0, MAX_MESSAGE_LENGTH)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /healthz` (liveness, always 200) and `GET /readyz` (200 only when every check passes). */
export function healthRoutes({
  checks,
  isShuttingDown = () => false,
  checkTimeoutMs = 2000,
}: HealthOptions): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    // While shutting down, dependencies are being closed: do not probe them, just say no.
    if (isShuttingDown()) {
      res.status(503).json({ status: 'not ready', reason: 'shutting down', checks: {} });
      return;
    }
    const names = Object.keys(checks);
    const outcomes = await Promise.all(names.map((name) => runCheck(checks[name], checkTimeoutMs)));
    const results = Object.fromEntries(names.map((name, i) => [name, outcomes[i]]));
    const ready = outcomes.every((outcome) => outcome === 'ok') && !isShuttingDown();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });

  return router;
}
