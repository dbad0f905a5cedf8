/**
 * The purchase run of the whole-system fault tests: sellers list tickets and concurrent buyers
 * reserve and pay for them through the gateway (a fifth of the tickets wanted by two buyers at
 * once), while `during` does its damage. The report counts every outcome and every request that
 * failed on the way (network error or 5xx).
 */
import { eventually, sleep, User, type RequestRecord } from './user';

export interface PurchaseProgress {
  /** Purchases finished so far, whatever their outcome (a `reached` never waits on a failed one). */
  readonly done: number;
  /** Resolves once `n` purchases have finished. */
  reached(n: number, timeoutMs?: number): Promise<void>;
}

export interface PurchaseRunOptions {
  gatewayUrl: string;
  /** Default 500. */
  purchases?: number;
  /** Concurrent buyers, default 20. */
  concurrency?: number;
  /** Default 5. */
  sellers?: number;
  /** Ticket titles start with it (default `Fault`). */
  title?: string;
  /** Runs alongside the purchases (the faults); the run ends when both are done. */
  during?: (progress: PurchaseProgress) => Promise<void>;
  /** Keep buying past `purchases` until `during` is done, so all of it happens under load. */
  untilDuringDone?: boolean;
}

export interface PurchaseRunReport {
  seconds: number;
  /** How many were made (more than asked with `untilDuringDone`). */
  purchases: number;
  outcomes: { paid: number; declinedOrRefused: number; orderFailed: number; createFailed: number };
  /** How often each status was answered, by step (`order 201`, `create 502`, `pay 404`, ...). */
  statuses: Record<string, number>;
  /** Every request that failed: no answer (status 0) or a 5xx. */
  failedRequests: RequestRecord[];
}

/** A request the user did not get a proper answer to: the connection failed or the server erred. */
export const isFailedRequest = (r: RequestRecord): boolean => r.status === 0 || r.status >= 500;

export async function runPurchases(options: PurchaseRunOptions): Promise<PurchaseRunReport> {
  const PURCHASES = options.purchases ?? 500;
  const CONCURRENCY = options.concurrency ?? 20;
  const title = options.title ?? 'Fault';
  const failedRequests: RequestRecord[] = [];
  const observe = (r: RequestRecord) => {
    if (isFailedRequest(r)) failedRequests.push(r);
  };
  const sellers = await Promise.all(
    Array.from({ length: options.sellers ?? 5 }, () => new User(options.gatewayUrl, observe).signUp()),
  );
  const buyers = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => new User(options.gatewayUrl, observe).signUp()),
  );

  const outcomes = { paid: 0, declinedOrRefused: 0, orderFailed: 0, createFailed: 0 };
  const statuses = new Map<string, number>();
  const count = (what: string) => statuses.set(what, (statuses.get(what) ?? 0) + 1);
  let next = 0;
  let done = 0;
  let duringDone = options.during === undefined;
  const more = () => next < PURCHASES || (options.untilDuringDone === true && !duringDone);
  const progress: PurchaseProgress = {
    get done() {
      return done;
    },
    reached: async (n, timeoutMs = 300_000) => {
      await eventually(`${n} purchases`, async () => (done >= n ? true : undefined), timeoutMs, 100);
    },
  };

  // Each worker: a seller lists a ticket, a buyer (some tickets are wanted by two buyers) reserves and pays.
  const worker = async (w: number) => {
    const buyer = buyers[w]!;
    const rival = buyers[(w + 1) % CONCURRENCY]!;
    while (more()) {
      const i = next++;
      const s = sellers[i % sellers.length]!;
      let created = await s.createTicket(`${title} ${i}`, 10 + (i % 50));
      for (let tries = 0; created.status !== 201 && tries < 100; tries++) {
        count(`create ${created.status}`);
        await sleep(200);
        created = await s.createTicket(`${title} ${i}`, 10 + (i % 50));
      }
      if (created.status !== 201) {
        outcomes.createFailed++;
        done++;
        continue;
      }
      const contenders = i % 5 === 0 ? [buyer, rival] : [buyer];
      const results = await Promise.all(
        contenders.map((u) => u.createOrderWhenKnown(created.body.id, 60_000)),
      );
      const won = results.map((r, k) => ({ r, u: contenders[k]! })).filter((x) => x.r.status === 201);
      results.forEach((r) => count(`order ${r.status}`));
      if (won.length > 1) throw new Error(`two orders were accepted for ticket ${created.body.id}`);
      if (won.length === 0) {
        outcomes.orderFailed++;
        done++;
        continue;
      }
      const { u, r } = won[0]!;
      // 404: payments has not yet heard of the order; 502: payments is down. Retried.
      const pay = await u.payWhenKnown(r.body.id, 'tok_visa', 60_000);
      count(`pay ${pay.status}`);
      if (pay.status === 201) outcomes.paid++;
      else outcomes.declinedOrRefused++;
      done++;
    }
  };

  const started = Date.now();
  await Promise.all([
    ...Array.from({ length: CONCURRENCY }, (_, w) => worker(w)),
    options.during?.(progress).finally(() => (duringDone = true)),
  ]);
  return {
    seconds: (Date.now() - started) / 1000,
    purchases: next,
    outcomes,
    statuses: Object.fromEntries(statuses),
    failedRequests,
  };
}

export interface PurchaseRun extends PurchaseProgress {
  /** Resolves with the report once every purchase has finished; rejects if two orders were accepted for one ticket. */
  finished: Promise<PurchaseRunReport>;
}

/**
 * `runPurchases` for a test that breaks things step by step in its own body: resolves once the
 * users are signed up and buying, with the run's progress and its end.
 */
export async function startPurchases(
  gatewayUrl: string,
  options: Omit<PurchaseRunOptions, 'gatewayUrl' | 'during' | 'untilDuringDone'> = {},
): Promise<PurchaseRun> {
  let buying!: (progress: PurchaseProgress) => void;
  const started = new Promise<PurchaseProgress>((resolve) => (buying = resolve));
  const finished = runPurchases({ ...options, gatewayUrl, during: async (p) => buying(p) });
  // Observed by whoever awaits `finished`; a test waiting on `reached` must not hide it.
  finished.catch(() => undefined);
  const progress = await Promise.race([started, finished.then(() => undefined)]);
  if (!progress) throw new Error('the purchases ended before they started');
  return {
    get done() {
      return progress.done;
    },
    reached: (n, timeoutMs) => progress.reached(n, timeoutMs),
    finished,
  };
}
