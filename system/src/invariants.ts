/**
 * The promises the system makes, checked on its databases once it is quiet: no ticket sold twice,
 * orders and payments agree, no buyer charged for an order that is not complete (a cancelled
 * order's payment is refunded, or owed a pending refund), no payment refunded twice, every committed event was published, and every published event was
 * applied exactly once by each consuming service.
 */
import { Client } from 'pg';
import { serviceCatalog, serviceNames, type ServiceName, type Subject } from '@ticketing/common';
import { sleep } from './user';

/** Who publishes and who consumes each subject (docs/asyncapi.yaml), derived from common's service catalog. */
export const EVENT_FLOWS: { subject: Subject; owner: ServiceName; consumers: ServiceName[] }[] =
  serviceNames.flatMap((owner) =>
    serviceCatalog[owner].publishes.map((subject: Subject) => ({
      subject,
      owner,
      consumers: serviceNames.filter((s) =>
        (serviceCatalog[s].consumes as readonly Subject[]).includes(subject),
      ),
    })),
  );

/** One database per service, named after it. */
const DATABASES: readonly ServiceName[] = serviceNames;

export interface InvariantReport {
  problems: string[];
  figures: Record<string, number>;
}

async function withClients<T>(
  urlOf: (db: string) => string,
  fn: (q: (db: string, text: string, values?: unknown[]) => Promise<Record<string, unknown>[]>) => Promise<T>,
): Promise<T> {
  const clients = new Map<string, Client>();
  try {
    for (const db of DATABASES) {
      const c = new Client({ connectionString: urlOf(db) });
      c.on('error', () => undefined);
      await c.connect();
      clients.set(db, c);
    }
    return await fn(async (db, text, values) => (await clients.get(db)!.query(text, values)).rows);
  } finally {
    await Promise.all([...clients.values()].map((c) => c.end().catch(() => undefined)));
  }
}

/** Rows in the inbox of `db` per consumer name, for one subject. */
async function inboxIds(
  q: (db: string, text: string, values?: unknown[]) => Promise<Record<string, unknown>[]>,
  db: string,
  subject: string,
) {
  const rows = await q(db, 'select consumer, event_id::text as id from inbox where subject = $1', [subject]);
  const byConsumer = new Map<string, string[]>();
  for (const r of rows) {
    const list = byConsumer.get(r.consumer as string) ?? [];
    list.push(r.id as string);
    byConsumer.set(r.consumer as string, list);
  }
  return byConsumer;
}

/**
 * How far the system is from quiet: committed-but-unpublished due events, and published events
 * not yet in a consumer's inbox (nor its dead letters). 0 means quiet. `scheduled` counts events
 * committed for later (not yet due), which will break the quiet when they come due.
 */
export async function backlog(
  urlOf: (db: string) => string,
): Promise<{ unpublished: number; unconsumed: number; scheduled: number }> {
  return withClients(urlOf, async (q) => {
    let unpublished = 0;
    let scheduled = 0;
    for (const db of DATABASES) {
      const [r] = await q(
        db,
        'select count(*) filter (where not_before <= now())::int as due, count(*) filter (where not_before > now())::int as later from outbox where published_at is null',
      );
      unpublished += r!.due as number;
      scheduled += r!.later as number;
    }
    let unconsumed = 0;
    for (const flow of EVENT_FLOWS) {
      const [p] = await q(
        flow.owner,
        'select count(*)::int as n from outbox where subject = $1 and published_at is not null',
        [flow.subject],
      );
      const published = p!.n as number;
      for (const consumer of flow.consumers) {
        const [i] = await q(consumer, 'select count(*)::int as n from inbox where subject = $1', [
          flow.subject,
        ]);
        const [d] = await q(consumer, 'select count(*)::int as n from dead_letters where subject = $1', [
          flow.subject,
        ]);
        unconsumed += Math.max(0, published - (i!.n as number) - (d!.n as number));
      }
    }
    return { unpublished, unconsumed, scheduled };
  });
}

/**
 * Waits until `backlog` is 0 twice in a row (events in flight settle), or throws with the last
 * backlog. With `scheduled: true` it also waits for every scheduled event (e.g. expiries) to come
 * due and settle, so that nothing can move while `checkInvariants` reads the databases.
 */
export async function waitForQuiescence(
  urlOf: (db: string) => string,
  timeoutMs = 120_000,
  options: { scheduled?: boolean } = {},
): Promise<number> {
  const started = Date.now();
  let quietChecks = 0;
  let last = { unpublished: -1, unconsumed: -1, scheduled: -1 };
  while (Date.now() - started < timeoutMs) {
    last = await backlog(urlOf);
    const quiet =
      last.unpublished === 0 && last.unconsumed === 0 && (!options.scheduled || last.scheduled === 0);
    quietChecks = quiet ? quietChecks + 1 : 0;
    if (quietChecks >= 2) return Date.now() - started;
    await sleep(500);
  }
  throw new Error(
    `the system did not settle within ${timeoutMs} ms: ${last.unpublished} due events unpublished, ${last.unconsumed} published events not yet consumed` +
      (options.scheduled ? `, ${last.scheduled} scheduled events not yet due` : ''),
  );
}

/**
 * Checks every invariant; an empty `problems` means all hold. Call after `waitForQuiescence` with
 * `scheduled: true`: an event coming due during the check would be counted half-way.
 */
export async function checkInvariants(urlOf: (db: string) => string): Promise<InvariantReport> {
  return withClients(urlOf, async (q) => {
    const problems: string[] = [];
    const figures: Record<string, number> = {};
    const sample = (rows: Record<string, unknown>[]) => JSON.stringify(rows.slice(0, 5));

    // 1. No ticket sold twice, no order charged twice.
    const soldTwice = await q(
      'orders',
      "select ticket_id, count(*)::int as n from orders where status = 'complete' group by ticket_id having count(*) > 1",
    );
    if (soldTwice.length)
      problems.push(`${soldTwice.length} tickets have more than one complete order: ${sample(soldTwice)}`);
    const chargedTwice = await q(
      'payments',
      "select order_id, count(*)::int as n from payments where status = 'succeeded' group by order_id having count(*) > 1",
    );
    if (chargedTwice.length)
      problems.push(`${chargedTwice.length} orders were charged more than once: ${sample(chargedTwice)}`);

    const orders = await q('orders', 'select id::text, ticket_id::text, status, version from orders');
    const paymentsOrders = await q('payments', 'select id::text, status, version from orders');
    const allPayments = await q(
      'payments',
      'select id::text, order_id::text, status, provider_charge_id, refund_id from payments',
    );
    const succeeded = allPayments.filter((p) => p.status === 'succeeded');
    figures.orders = orders.length;
    figures.completeOrders = orders.filter((o) => o.status === 'complete').length;
    figures.cancelledOrders = orders.filter((o) => o.status === 'cancelled').length;
    figures.succeededPayments = succeeded.length;
    figures.refundedPayments = allPayments.filter((p) => p.status === 'refunded').length;

    // A payment may land on an order that was cancelled meanwhile (events on different subjects are
    // not ordered); payments then refunds it. Once quiet, a charge stands only on a complete order,
    // complete in both services, and a cancelled order has no charge left standing.
    const orderById = new Map(orders.map((o) => [o.id as string, o]));
    const replicaById = new Map(paymentsOrders.map((o) => [o.id as string, o]));
    const ticketsCharged = new Map<string, number>();
    for (const p of succeeded) {
      const o = orderById.get(p.order_id as string);
      if (!o) {
        problems.push(`payment for order ${String(p.order_id)} that the orders service does not know`);
        continue;
      }
      ticketsCharged.set(o.ticket_id as string, (ticketsCharged.get(o.ticket_id as string) ?? 0) + 1);
      if (o.status !== 'complete')
        problems.push(
          `order ${String(o.id)} was charged (payment succeeded) but is ${String(o.status)} in orders: the buyer paid and has no ticket`,
        );
      const r = replicaById.get(p.order_id as string);
      if (r?.status !== 'complete')
        problems.push(
          `order ${String(p.order_id)} was charged (payment succeeded) but is ${String(r?.status ?? 'missing')} in payments`,
        );
    }
    // The refund worker makes refunds some time after they are owed (the provider may be down): a
    // succeeded payment of a cancelled order must be refunded, or owed a refund that is pending.
    const owedRefunds = await q(
      'payments',
      'select payment_id::text, status, provider_refund_id from refunds',
    );
    const refundOf = new Map(owedRefunds.map((r) => [r.payment_id as string, r]));
    figures.pendingRefunds = owedRefunds.filter((r) => r.status === 'pending').length;
    const cancelledIds = new Set(
      [...orders, ...paymentsOrders].filter((o) => o.status === 'cancelled').map((o) => o.id as string),
    );
    const standing = allPayments.filter(
      (p) =>
        cancelledIds.has(p.order_id as string) &&
        p.status !== 'refunded' &&
        p.status !== 'declined' &&
        !(p.status === 'succeeded' && refundOf.get(p.id as string)?.status === 'pending'),
    );
    if (standing.length)
      problems.push(
        `${standing.length} payments of cancelled orders are neither refunded, declined, nor owed a pending refund (the buyer may have paid for nothing): ${sample(standing)}`,
      );
    // A refund is recorded on its payment and its refund row alike.
    const unrecorded = allPayments.filter((p) => {
      const refund = refundOf.get(p.id as string);
      return (
        (p.status === 'refunded') !== (refund?.status === 'succeeded') ||
        (refund?.status === 'succeeded' && refund.provider_refund_id !== p.refund_id)
      );
    });
    if (unrecorded.length)
      problems.push(`${unrecorded.length} payments disagree with their refund record: ${sample(unrecorded)}`);

    // No payment refunded twice: the provider (the sandbox, whose ledger is in payments' database;
    // empty with Stripe) made at most one refund per charge, and only of a charge owed back.
    const providerRefunds = await q(
      'payments',
      'select charge_id, count(*)::int as n, min(refund_id) as refund_id from sandbox_refunds group by charge_id',
    );
    figures.providerRefunds = providerRefunds.reduce((n, r) => n + (r.n as number), 0);
    const refundedTwice = providerRefunds.filter((r) => (r.n as number) > 1);
    if (refundedTwice.length)
      problems.push(`${refundedTwice.length} charges were refunded more than once: ${sample(refundedTwice)}`);
    const paymentOfCharge = new Map(allPayments.map((p) => [p.provider_charge_id as string, p]));
    const unowed = providerRefunds.filter((r) => {
      const p = paymentOfCharge.get(r.charge_id as string);
      return !p || !refundOf.has(p.id as string);
    });
    if (unowed.length)
      problems.push(
        `${unowed.length} charges were refunded by the provider with no refund owed for them: ${sample(unowed)}`,
      );
    const doubleCharged = [...ticketsCharged].filter(([, n]) => n > 1);
    if (doubleCharged.length)
      problems.push(
        `${doubleCharged.length} tickets were paid for more than once: ${JSON.stringify(doubleCharged.slice(0, 5))}`,
      );
    const paidOrders = new Set(succeeded.map((p) => p.order_id as string));
    const completeUnpaid = orders.filter((o) => o.status === 'complete' && !paidOrders.has(o.id as string));
    if (completeUnpaid.length)
      problems.push(
        `${completeUnpaid.length} orders are complete without a succeeded payment: ${sample(completeUnpaid)}`,
      );

    // 2. Orders and payments agree on every order.
    const disagree: string[] = [];
    for (const o of orders) {
      const p = replicaById.get(o.id as string);
      if (!p) disagree.push(`${String(o.id)}: ${String(o.status)} in orders, missing in payments`);
      else if (p.status !== o.status || p.version !== o.version) {
        disagree.push(
          `${String(o.id)}: ${String(o.status)} v${String(o.version)} in orders, ${String(p.status)} v${String(p.version)} in payments`,
        );
      }
    }
    for (const p of paymentsOrders)
      if (!orderById.has(p.id as string)) disagree.push(`${String(p.id)}: in payments only`);
    if (disagree.length)
      problems.push(
        `${disagree.length} orders disagree between orders and payments: ${disagree.slice(0, 5).join('; ')}`,
      );

    // 3. Tickets agree with orders: a ticket is held by its live order, and only by one.
    const tickets = await q(
      'tickets',
      'select id::text, order_id::text, sold_at is not null as sold, version, price_cents from tickets',
    );
    figures.tickets = tickets.length;
    const liveByTicket = new Map<string, Record<string, unknown>>();
    for (const o of orders) if (o.status !== 'cancelled') liveByTicket.set(o.ticket_id as string, o);
    const ticketProblems: string[] = [];
    for (const t of tickets) {
      const live = liveByTicket.get(t.id as string);
      if (live && t.order_id !== live.id)
        ticketProblems.push(
          `ticket ${String(t.id)} held by ${String(t.order_id)}, live order is ${String(live.id)}`,
        );
      if (!live && t.order_id)
        ticketProblems.push(`ticket ${String(t.id)} held by ${String(t.order_id)}, which is not live`);
      if (live && (live.status === 'complete') !== t.sold)
        ticketProblems.push(
          `ticket ${String(t.id)} sold=${String(t.sold)}, its order is ${String(live.status)}`,
        );
    }
    if (ticketProblems.length)
      problems.push(
        `${ticketProblems.length} tickets disagree with orders: ${ticketProblems.slice(0, 5).join('; ')}`,
      );

    // The orders service's copy of every ticket is the latest version.
    const replica = new Map(
      (await q('orders', 'select id::text, version, price_cents from tickets')).map((t) => [
        t.id as string,
        t,
      ]),
    );
    const stale = tickets.filter((t) => {
      const r = replica.get(t.id as string);
      return !r || r.version !== t.version || r.price_cents !== t.price_cents;
    });
    if (stale.length)
      problems.push(
        `${stale.length} tickets are missing or stale in the orders service's replica: ${sample(stale)}`,
      );

    // 4. Every committed event was published (scheduled rows not yet due excepted).
    for (const db of DATABASES) {
      const [r] = await q(
        db,
        'select count(*)::int as n, count(*) filter (where published_at is null and not_before <= now())::int as unpublished from outbox',
      );
      figures[`outbox.${db}`] = r!.n as number;
      if ((r!.unpublished as number) > 0)
        problems.push(`${db}: ${String(r!.unpublished)} committed events were never published`);
      const [d] = await q(db, 'select count(*)::int as n from dead_letters');
      if ((d!.n as number) > 0) {
        const rows = await q(db, 'select consumer, subject, reason from dead_letters limit 3');
        problems.push(`${db}: ${String(d!.n)} dead letters: ${sample(rows)}`);
      }
    }

    // 5. Every published event reached each consuming service's inbox exactly once, and nothing else did.
    for (const flow of EVENT_FLOWS) {
      const published = new Set(
        (
          await q(flow.owner, 'select id::text from outbox where subject = $1 and published_at is not null', [
            flow.subject,
          ])
        ).map((r) => r.id as string),
      );
      figures[`published.${flow.subject}`] = published.size;
      for (const svc of flow.consumers) {
        const byConsumer = await inboxIds(q, svc, flow.subject);
        if (published.size > 0 && byConsumer.size === 0) {
          problems.push(`${svc} has no inbox rows for ${flow.subject} (${published.size} published)`);
          continue;
        }
        for (const [consumer, ids] of byConsumer) {
          const seen = new Set(ids);
          if (seen.size !== ids.length) problems.push(`${svc}/${consumer}: an event applied twice`);
          const foreign = ids.filter((id) => !published.has(id));
          const missing = [...published].filter((id) => !seen.has(id));
          if (foreign.length)
            problems.push(
              `${svc}/${consumer}: ${foreign.length} inbox rows for ${flow.subject} events that ${flow.owner} never published`,
            );
          if (missing.length)
            problems.push(
              `${svc}/${consumer}: ${missing.length} of ${published.size} published ${flow.subject} events never applied`,
            );
          figures[`inbox.${consumer}`] = ids.length;
        }
      }
    }
    return { problems, figures };
  });
}
