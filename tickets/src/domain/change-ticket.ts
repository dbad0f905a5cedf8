import { and, eq } from 'drizzle-orm';
import { centsToPrice, TooManyRequestsError, outbox, type Tx } from '@ticketing/common';
import { tickets } from '../db/schema';

/** A stored ticket row. */
export type TicketRow = typeof tickets.$inferSelect;

/** The columns a change may set (the version is bumped by `changeTicket` itself). */
export type TicketChange = Partial<Pick<TicketRow, 'title' | 'priceCents' | 'orderId' | 'soldAt'>>;

// Each lost race means another change committed, so a caller loses at most once per concurrent
// writer; beyond this many the ticket is too contended and the caller is told to come back.
const MAX_ATTEMPTS = 50;

/**
 * Too many concurrent changes to one ticket. 429 with Retry-After over HTTP; carries PostgreSQL's
 * serialization_failure code so an event consumer treats it as transient and retries.
 */
export class TicketContentionError extends TooManyRequestsError {
  readonly code = '40001';

  constructor() {
    super('The ticket is being changed by other requests, try again', 1);
  }
}

/**
 * Changes a ticket under optimistic concurrency: reads it, asks `decide` for the change (null: none;
 * it may throw to refuse), and writes it as version + 1 only if nobody changed the ticket since the
 * read. A lost race re-reads and decides again, so a change is never applied to a state it did not
 * see. The `ticket.updated` event goes to the outbox in the same transaction.
 * Returns the ticket after the change (as it is when there was none) and whether it changed, or
 * undefined when it does not exist. A caller that has just read the ticket under its row lock
 * passes that row as `locked` (no one can change it before this transaction ends): the first
 * attempt decides on it instead of reading the ticket again, one round trip fewer.
 */
export async function changeTicket(
  tx: Tx,
  ticketId: string,
  decide: (current: TicketRow) => TicketChange | null,
  locked?: TicketRow | null,
): Promise<{ ticket: TicketRow; changed: boolean } | undefined> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const [current] =
      attempt === 1 && locked !== undefined
        ? locked === null
          ? []
          : [locked]
        : await tx.select().from(tickets).where(eq(tickets.id, ticketId));
    if (!current) return undefined;
    const change = decide(current);
    if (!change) return { ticket: current, changed: false };
    const [updated] = await tx
      .update(tickets)
      .set({ ...change, version: current.version + 1 })
      .where(and(eq(tickets.id, ticketId), eq(tickets.version, current.version)))
      .returning();
    if (updated) {
      await outbox.add(tx, 'ticket.updated', {
        id: updated.id,
        version: updated.version,
        title: updated.title,
        price: centsToPrice(updated.priceCents),
        userId: updated.userId,
        orderId: updated.orderId,
      });
      return { ticket: updated, changed: true };
    }
  }
  throw new TicketContentionError();
}
