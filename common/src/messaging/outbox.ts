import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/database';
import { outbox as outboxTable } from '../db/schema';
import { contractFor, type EventData, type Subject } from '../events/catalog';
import type { EventEnvelope } from '../events/contract';
import { activeTraceContext } from '../telemetry/context';

/** The channel a commit with outbox rows notifies, to wake relays at once. */
export const OUTBOX_CHANNEL = 'ticketing_outbox';

/** Thrown when code tries to publish a payload that breaks its event contract: a bug, never user input. */
export class EventContractError extends Error {
  constructor(subject: string, problems: string[]) {
    super(`event ${subject} breaks its contract: ${problems.join('; ')}`);
    this.name = 'EventContractError';
  }
}

/** Options for one outbox event. */
export interface AddEventOptions {
  /** Not published before this time: a scheduled event. */
  notBefore?: Date;
  /** The event id; a new UUID by default. */
  id?: string;
}

/**
 * The transactional outbox. `add` writes an event in the caller's transaction: it is published
 * if and only if that transaction commits.
 */
export const outbox = {
  async add<S extends Subject>(
    tx: Tx,
    subject: S,
    data: EventData<S>,
    options: AddEventOptions = {},
  ): Promise<EventEnvelope<S, EventData<S>>> {
    const contract = contractFor(subject);
    if (!contract) throw new EventContractError(subject, ['unknown subject']);
    const problems = contract.validate(data);
    if (problems.length > 0) throw new EventContractError(subject, problems);
    const id = options.id ?? crypto.randomUUID();
    const occurredAt = new Date();
    // The span that caused the event: the relay's publish continues its trace.
    const { traceparent, tracestate } = activeTraceContext();
    await tx.insert(outboxTable).values({
      id,
      subject,
      data,
      occurredAt,
      notBefore: options.notBefore ?? occurredAt,
      traceparent: traceparent ?? null,
      tracestate: tracestate ?? null,
      scheduled: options.notBefore !== undefined,
    });
    // Delivered when the transaction commits, dropped if it rolls back; repeats in one transaction fold into one.
    await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);
    return { id, subject, occurredAt: occurredAt.toISOString(), data };
  },
};

/** An outbox row as stored (for tests and audits). */
export type OutboxRow = typeof outboxTable.$inferSelect;
