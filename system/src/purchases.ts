/**
 * The fault tests' workload: purchases by concurrent buyers through the gateway, while a test
 * breaks something. Each worker has a seller list a ticket, then its buyer (and, for every fifth
 * ticket, a rival buyer at the same moment) reserve it and pay; refused or failing requests are
 * retried as a user would.
 */
import { eventually, sleep, User } from './user';

export interface PurchaseOptions {
  /** Purchases in all. Default 500. */
  purchases?: number;
  /** Buyers working at once. Default 20. */
  concurrency?: number;
  /** Ticket titles start with it. Default `Fault`. */
  title?: string;
}

export interface PurchaseReport {
  purchases: number;
  outcomes: { paid: number; declinedOrRefused: number; orderFailed: number; createFailed: number };
  /** How often each answer came: `create 502`, `order 201`, `pay 400`, ... */
  statuses: Record<string, number>;
  seconds: number;
}

export interface PurchaseRun {
  /** Purchases finished so far. */
  readonly done: number;
  /** Resolves once `n` purchases have finished. */
  reached(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the report once every purchase has finished; rejects if two orders were accepted for one ticket. */
  finished: Promise<PurchaseReport>;
}

/** Signs up 5 sellers and the buyers, then starts the purchases; resolves once they run. */
export async function startPurchases(
  gatewayUrl: string,
  options: PurchaseOptions = {},
): Promise<PurchaseRun> {
  const purchases = options.purchases ?? 500;
  const concurrency = options.concurrency ?? 20;
  const title = options.title ?? 'Fault';
  const sellers = await Promise.all(Array.from({ length: 5 }, () => new User(gatewayUrl).signUp()));
  const buyers = await Promise.all(Array.from({ length: concurrency }, () => new User(gatewayUrl).signUp()));

  const outcomes = { paid: 0, declinedOrRefused: 0, orderFailed: 0, createFailed: 0 };
  const statuses = new Map<string, number>();
  const count = (what: string) => statuses.set(what, (statuses.get(what) ?? 0) + 1);
  let next = 0;
  let done = 0;

  const worker = async (w: number) => {
    const buyer = buyers[w]!;
    const rival = buyers[(w + 1) % concurrency]!;
    while (next < purchases) {
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
  const finished = Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w))).then(() => ({
    purchases,
    outcomes,
    statuses: Object.fromEntries(statuses),
    seconds: (Date.now() - started) / 1000,
  }));
  // Observed by whoever awaits `finished`; a fault step waiting on `reached` must not hide it.
  finished.catch(() => undefined);
  return {
    get done() {
      return done;
    },
    reached: (n, timeoutMs = 300_000) =>
      eventually(`${n} purchases`, async () => (done >= n ? true : undefined), timeoutMs, 100).then(
        () => undefined,
      ),
    finished,
  };
}
