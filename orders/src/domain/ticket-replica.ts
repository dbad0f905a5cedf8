import { and, eq } from 'drizzle-orm';
import { priceToCents, shouldApplyVersion, type TicketCreatedData, type Tx } from '@ticketing/common';
import { tickets } from '../db/schema';

/** What orders keeps of a ticket: the fields both `ticket.created` and `ticket.updated` carry. */
export type TicketVersion = Pick<TicketCreatedData, 'id' | 'version' | 'title' | 'price'>;

/**
 * Applies one version of a ticket to the replica, in order: version 0 creates it, N replaces N-1.
 * Returns false for a repeat (a version already held); throws `NotYetApplicableError` while an
 * earlier version is missing, so the consumer redelivers the event later.
 */
export async function applyTicketVersion(tx: Tx, ticket: TicketVersion): Promise<boolean> {
  const fields = { title: ticket.title, priceCents: priceToCents(ticket.price), version: ticket.version };
  // The usual case in one statement: version 0 of a ticket not held yet, or N over a held N-1.
  // Anything else (a repeat, a version ahead of its predecessor, a race) takes the locked path below.
  const [applied] =
    ticket.version === 0
      ? await tx
          .insert(tickets)
          .values({ id: ticket.id, ...fields })
          .onConflictDoNothing()
          .returning({ id: tickets.id })
      : await tx
          .update(tickets)
          .set(fields)
          .where(and(eq(tickets.id, ticket.id), eq(tickets.version, ticket.version - 1)))
          .returning({ id: tickets.id });
  if (applied) return true;

  // The row lock serializes this with another version of the same ticket handled at the same time.
  const [held] = await tx
    .select({ version: tickets.version })
    .from(tickets)
    .where(eq(tickets.id, ticket.id))
    .for('update');
  if (!shouldApplyVersion(held?.version, ticket.version, `ticket ${ticket.id}`)) return false;

  if (held) {
    await tx.update(tickets).set(fields).where(eq(tickets.id, ticket.id));
  } else {
    // Two version-0 events with different ids racing: the loser inserts nothing and changes nothing.
    await tx
      .insert(tickets)
      .values({ id: ticket.id, ...fields })
      .onConflictDoNothing();
  }
  return true;
}
