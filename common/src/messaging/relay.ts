import { headers as natsHeaders } from '@nats-io/nats-core';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Link } from '@opentelemetry/api';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Pool, PoolClient, QueryResult } from 'pg';
import type { Logger } from 'pino';
import { contextFromTraceparent, spanContextFromTraceparent } from '../telemetry/context';
import { OUTBOX_CHANNEL } from './outbox';

/** Batches a relay has in flight unless told otherwise (`batchesInFlight`). */
export const DEFAULT_BATCHES_IN_FLIGHT = 2;

/** Options of an outbox relay. */
export interface RelayOptions {
  pool: Pool;
  js: JetStreamClient;
  logger: Logger;
  /** Rows claimed per transaction. */
  batchSize?: number;
  /**
   * Batches claimed and not yet marked published at once: while one waits for JetStream's acks
   * and its commit, the next is claimed and published. Each holds a pool connection meanwhile.
   */
  batchesInFlight?: number;
  /** Fallback poll when no notification arrives (a missed NOTIFY, a scheduled row coming due). */
  pollIntervalMs?: number;
  /** Published rows are deleted after this long (0 keeps them forever). */
  retentionMs?: number;
  /** How long to wait for JetStream's ack of one publish (also how long a batch may hold its rows). */
  publishTimeoutMs?: number;
  /** Called after every batch (metrics, tests). */
  onBatch?: (result: { published: number; failed: number }) => void;
  /** Called after every publish attempt of one row, with JetStream's round trip (metrics). */
  onPublish?: (result: PublishAttempt) => void;
}

/** One publish attempt of one outbox row, as `onPublish` reports it. */
export interface PublishAttempt {
  subject: string;
  /** From the publish call to JetStream's ack (or the failure). */
  seconds: number;
  ok: boolean;
}

/** What one batch did. */
export interface BatchResult {
  published: number;
  failed: number;
}

interface ClaimedRow {
  id: string;
  subject: string;
  /** The payload as PostgreSQL's JSON text: put into the message as it is, never parsed here. */
  data: string;
  /** `occurred_at` in milliseconds since the epoch (a number is cheaper to read than a timestamp). */
  occurred_ms: number;
  attempts: number;
  traceparent: string | null;
  tracestate: string | null;
  scheduled: boolean;
}

/** A claimed batch whose publishes are on their way; `done` settles once its rows are marked and committed. */
interface Batch {
  size: number;
  done: Promise<BatchResult>;
}

/** The header carrying the trace a scheduled event was caused in (its publish starts a new trace linked to it). */
export const TRACE_LINK_HEADER = 'Ticketing-Trace-Link';

const tracer = trace.getTracer('@ticketing/common/relay');

const MAX_BACKOFF_MS = 30_000;

/**
 * Publishes committed outbox rows to JetStream, in `seq` order, with any number of relays in any
 * number of processes sharing one database.
 *
 * A batch is claimed with FOR UPDATE SKIP LOCKED in its own transaction, its rows are published
 * at once (pipelined on the connection, acks awaited together), then marked published with one
 * UPDATE and committed. While a batch waits for its acks and its commit, the next one is claimed
 * and published (`batchesInFlight`), so the broker always has messages to work on; a relay is
 * never idle waiting on one round trip. The claim transaction lives only as long as JetStream
 * takes to ack (milliseconds; at most `publishTimeoutMs`).
 *
 * Why a row lock and not a lease column (claimed_until): a lease costs a second write of every
 * row (claim, then mark: twice the WAL and index churn, and a second commit per batch), and leaves
 * the rows of a relay killed mid-batch waiting for the lease to run out. A row lock costs no extra
 * write, and PostgreSQL releases it the moment the relay's connection dies, so the rows of a
 * killed relay are taken by the next claim at once.
 *
 * No loss, no double effect: a row is marked only in the transaction that published it, so a
 * crash between the ack and the commit leaves it unpublished and it is sent again; the event id
 * is the JetStream message id, so the stream drops that repeat (its duplicate window, 10 minutes,
 * is far longer than a batch can hold its rows), and consumers' inboxes drop any later one.
 *
 * Order: publishes leave in claim order on one connection, so one relay puts rows on the stream
 * in `seq` order, batch after batch; a row whose publish fails is retried later with backoff and
 * lands after the rows behind it, and with several relays batches interleave. Consumers never
 * depend on arrival order: versioned replicas wait for a missing version (`versioning.ts`).
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly batchesInFlight: number;
  private readonly pollIntervalMs: number;
  private readonly retentionMs: number;
  private readonly publishTimeoutMs: number;
  private listener?: PoolClient;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private woken = false;
  private failures = 0;
  private pausedUntil = 0;
  private lastCleanup = 0;

  constructor(private readonly options: RelayOptions) {
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 200));
    this.batchesInFlight = Math.max(1, options.batchesInFlight ?? DEFAULT_BATCHES_IN_FLIGHT);
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  }

  /** Starts listening for commits and publishing; returns once listening. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.listen();
    this.loop = this.run();
  }

  /** Stops after the batches in flight, if any, have finished. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.notify();
    await this.loop;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      listener.removeAllListeners('notification');
      // Destroyed rather than pooled: a connection that listened is not handed to a query.
      listener.release(true);
    }
  }

  /** Claims and publishes one batch of due rows; returns how many were published. */
  async publishBatch(): Promise<BatchResult> {
    const batch = await this.claim();
    if (!batch) {
      this.options.onBatch?.({ published: 0, failed: 0 });
      return { published: 0, failed: 0 };
    }
    return batch.done;
  }

  /** Milliseconds until the earliest unpublished row is due (0 when one is due now), or undefined when none. */
  async nextDueInMs(): Promise<number | undefined> {
    const { rows } = await this.options.pool.query<{ ms: number | null }>(
      `select greatest(0, extract(epoch from (min(not_before) - now())) * 1000)::float8 as ms
         from outbox where published_at is null`,
    );
    return rows[0]?.ms ?? undefined;
  }

  /**
   * Deletes this outbox's published rows past retention, a bounded number at a time; returns how
   * many. The inbox is the consumer side's (`InboxJanitor`).
   */
  async cleanup(): Promise<number> {
    if (this.retentionMs <= 0) return 0;
    const r = await this.options.pool.query(
      `delete from outbox where id in (select id from outbox where published_at is not null
         and published_at < now() - make_interval(secs => $1::double precision / 1000) limit 5000)`,
      [this.retentionMs],
    );
    return r.rowCount ?? 0;
  }

  /**
   * Locks up to `batchSize` due rows in a new transaction and starts publishing them; undefined
   * (and no transaction left open) when none is due and unlocked.
   */
  private async claim(): Promise<Batch | undefined> {
    const client = await this.options.pool.connect();
    let rows: ClaimedRow[];
    try {
      // The (seq, not_before) index yields due rows in seq order and stops at the limit, however
      // long the backlog (sorting every due row instead cost ~30 ms a batch at 20,000). One round
      // trip opens the transaction and claims: no parameter (the limit is our own integer), so
      // both statements go in one simple query.
      const results = (await client.query(
        `begin; select id, subject, data::text as data,
                (extract(epoch from occurred_at) * 1000)::float8 as occurred_ms,
                attempts, traceparent, tracestate, scheduled
           from outbox where published_at is null and not_before <= now()
          order by seq limit ${this.batchSize} for update skip locked`,
      )) as unknown as QueryResult<ClaimedRow>[];
      rows = results[1]!.rows;
      if (rows.length === 0) {
        await client.query('commit');
        client.release();
        return undefined;
      }
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      client.release();
      throw err;
    }
    // Every publish is sent now, in seq order, before anything else can use the connection.
    const publishes = rows.map((row) => this.publishTimed(row));
    return { size: rows.length, done: this.complete(client, rows, publishes) };
  }

  /** Awaits a batch's acks, marks what was published, records what failed, and commits. */
  private async complete(
    client: PoolClient,
    rows: ClaimedRow[],
    publishes: Promise<void>[],
  ): Promise<BatchResult> {
    let published = 0;
    let failed = 0;
    try {
      const results = await Promise.allSettled(publishes);
      const ok: string[] = [];
      const bad: { id: string; error: string; delayMs: number }[] = [];
      results.forEach((r, i) => {
        const row = rows[i]!;
        if (r.status === 'fulfilled') ok.push(row.id);
        else bad.push({ id: row.id, error: errorText(r.reason), delayMs: backoff(row.attempts + 1) });
      });
      if (bad.length > 0) {
        await client.query(
          `update outbox set attempts = attempts + 1, last_error = f.error,
             not_before = now() + make_interval(secs => f.delay_ms / 1000)
             from unnest($1::uuid[], $2::text[], $3::double precision[]) as f(id, error, delay_ms)
            where outbox.id = f.id`,
          [bad.map((b) => b.id), bad.map((b) => b.error), bad.map((b) => b.delayMs)],
        );
      }
      // Marked and committed in one round trip: the ids are uuids this transaction read from the
      // table, so they are inlined (the simple query protocol takes no parameters).
      // The commit does not wait for its WAL flush (synchronous_commit off for this transaction
      // only): a mark lost to a PostgreSQL crash leaves its rows unpublished, so they are sent
      // again and dropped as duplicates by the stream (message id) or the consumers' inboxes; it
      // can never mark a row that was not acked. Waiting for the flush held the batch's
      // connection and in-flight slot for an fsync.
      await client.query(
        ok.length > 0
          ? `update outbox set published_at = now(), attempts = attempts + 1, last_error = null
              where id = any('{${ok.join(',')}}'::uuid[]); set local synchronous_commit = off; commit`
          : 'commit',
      );
      published = ok.length;
      failed = bad.length;
      if (failed > 0)
        this.options.logger.warn({ failed, error: bad[0]!.error }, 'outbox publish failed, will retry');
      return { published, failed };
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
      this.options.onBatch?.({ published, failed });
    }
  }

  private async publishTimed(row: ClaimedRow): Promise<void> {
    const started = performance.now();
    let ok = false;
    try {
      await this.publishRow(row);
      ok = true;
    } finally {
      this.options.onPublish?.({ subject: row.subject, seconds: (performance.now() - started) / 1000, ok });
    }
  }

  private async publishRow(row: ClaimedRow): Promise<void> {
    // The envelope, written out: the payload is already JSON text (the driver parsing it only for
    // JSON.stringify to write it again cost CPU for nothing); id is a uuid and occurredAt an ISO
    // date, neither needs escaping.
    const body = `{"id":"${row.id}","subject":${JSON.stringify(row.subject)},"occurredAt":"${new Date(row.occurred_ms).toISOString()}","data":${row.data}}`;
    const h = natsHeaders();
    h.set('Content-Type', 'application/json');
    // The publish continues the trace of the span that added the event, and the consumers continue
    // the publish. A scheduled event (an expiry, 15 minutes on) is not a step of the request that
    // scheduled it: it starts its own trace with a span link back, so that trace is not stretched
    // over the wait, and the link travels in TRACE_LINK_HEADER for the consumers' spans too.
    const origin = spanContextFromTraceparent(row.traceparent, row.tracestate);
    const linked = row.scheduled && origin !== undefined;
    const parent = linked ? ROOT_CONTEXT : contextFromTraceparent(row.traceparent, row.tracestate);
    const links: Link[] = linked ? [{ context: origin }] : [];
    const span = tracer.startSpan(
      `publish ${row.subject}`,
      {
        kind: SpanKind.PRODUCER,
        links,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'publish',
          'messaging.destination.name': row.subject,
          'messaging.message.id': row.id,
        },
      },
      parent,
    );
    propagation.inject(trace.setSpan(parent, span), h, { set: (c, k, v) => c.set(k, v) });
    if (linked) h.set(TRACE_LINK_HEADER, row.traceparent!);
    try {
      // Retries go through the outbox (with backoff), not through the client.
      await this.options.js.publish(row.subject, body, {
        msgID: row.id,
        headers: h,
        timeout: this.publishTimeoutMs,
        retries: 0,
      });
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorText(err) });
      throw err;
    } finally {
      span.end();
    }
  }

  private async listen(): Promise<void> {
    try {
      const listener = await this.options.pool.connect();
      listener.on('notification', () => this.notify());
      // A dropped listener connection falls back to polling until the next reconnect attempt.
      listener.on('error', (err) => {
        // Only the current listener is ours to release; one that stop() released is gone already.
        if (this.listener !== listener) return;
        this.options.logger.warn({ err }, 'outbox listener lost its connection');
        this.listener = undefined;
        listener.release(err);
      });
      await listener.query(`listen ${OUTBOX_CHANNEL}`);
      this.listener = listener;
    } catch (err) {
      this.options.logger.warn({ err }, 'outbox relay could not listen, polling instead');
    }
  }

  private notify(): void {
    this.woken = true;
    this.wake?.();
  }

  /** Waits `ms`, or less if a notification comes (or came since the loop last looked), or `until` settles. */
  private async sleep(ms: number, until?: Promise<unknown>): Promise<void> {
    if (this.woken || !this.running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        this.wake = resolve;
      }),
      ...(until ? [until] : []),
    ]);
    clearTimeout(timer);
    this.wake = undefined;
  }

  private async run(): Promise<void> {
    const inFlight = new Set<Promise<BatchResult>>();
    const track = (batch: Batch) => {
      const done = batch.done.then(
        (result) => {
          if (result.failed > 0 && result.published === 0) this.failed();
          else this.failures = 0;
          return result;
        },
        (err: unknown) => {
          this.failed();
          this.options.logger.error({ err }, 'outbox relay batch failed, will retry');
          return { published: 0, failed: 0 };
        },
      );
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
    };
    const anyDone = () => Promise.race(inFlight);
    while (this.running) {
      this.woken = false;
      try {
        if (!this.listener) await this.listen();
        const pause = this.pausedUntil - Date.now();
        if (pause > 0) {
          await this.sleep(pause);
          continue;
        }
        if (inFlight.size >= this.batchesInFlight) {
          await anyDone();
          continue;
        }
        const batch = await this.claim();
        if (batch) track(batch);
        // A full batch means more is due: claim again while the window has room.
        if (batch && batch.size >= this.batchSize) continue;
        if (inFlight.size > 0) {
          // Nothing more due right now: the next commit's notification, or a batch finishing, says when to look.
          await this.sleep(this.pollIntervalMs, anyDone());
          continue;
        }
        let delay = this.pollIntervalMs;
        const due = await this.nextDueInMs();
        // A due row we could not claim is another relay's right now: look again shortly.
        if (due !== undefined) delay = Math.min(this.pollIntervalMs, batch ? due : Math.max(due, 50));
        if (Date.now() - this.lastCleanup > 60_000) {
          this.lastCleanup = Date.now();
          await this.cleanup();
        }
        await this.sleep(delay);
      } catch (err) {
        this.failed();
        this.options.logger.error({ err }, 'outbox relay batch failed, will retry');
        await this.sleep(Math.max(0, this.pausedUntil - Date.now()));
      }
    }
    await Promise.all(inFlight);
  }

  /** A batch published nothing, or could not be claimed or committed: back off before the next claim. */
  private failed(): void {
    this.failures += 1;
    this.pausedUntil = Date.now() + backoff(this.failures);
  }
}

/** Exponential backoff with jitter: 100 ms, 200 ms, … up to 30 s. */
export function backoff(attempt: number): number {
  const base = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(attempt - 1, 20));
  return Math.round(base / 2 + (Math.random() * base) / 2);
}

function errorText(err: unknown): string {
  return (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000);
}

/**
 * Marks retained events published since `since` for publishing again (JetStream can lose acked
 * writes in a machine crash). Consumers' inboxes drop the ones they already applied.
 */
export async function republishSince(pool: Pool, since: Date): Promise<number> {
  const r = await pool.query(
    `update outbox set published_at = null, not_before = now() where published_at is not null and occurred_at >= $1`,
    [since],
  );
  await pool.query(`select pg_notify($1, '')`, [OUTBOX_CHANNEL]);
  return r.rowCount ?? 0;
}
