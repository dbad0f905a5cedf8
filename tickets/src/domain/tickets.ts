import crypto from 'node:crypto';
import { and, eq, ilike, isNull, sql } from 'drizzle-orm';
import {
  BadRequestError,
  centsToPrice,
  fetchKeysetPage,
  keysetCondition,
  keysetOrder,
  keysetPosition,
  mapPage,
  NotAuthorizedError,
  NotFoundError,
  outbox,
  preparedOn,
  type Database,
  type Keyset,
  type Page,
  type PageCursor,
  type PageRequest,
  type Tx,
  type TicketResource,
} from '@ticketing/common';
import { tickets } from '../db/schema';
import { changeTicket, type TicketRow } from './change-ticket';

/** A ticket as the API returns it. */
export type Ticket = TicketResource;

/** What a seller sets: a trimmed title and the price in cents. */
export interface TicketDetails {
  title: string;
  priceCents: number;
}

/** The API shape of a stored ticket. */
export function toTicket(row: TicketRow): Ticket {
  return {
    id: row.id,
    title: row.title,
    price: centsToPrice(row.priceCents),
    userId: row.userId,
    version: row.version,
    orderId: row.orderId,
  };
}

/** Lists a new ticket at version 0 and commits `ticket.created` with it. */
export async function createTicket(tx: Tx, sellerId: string, details: TicketDetails): Promise<Ticket> {
  const [row] = await tx
    .insert(tickets)
    .values({
      id: crypto.randomUUID(),
      userId: sellerId,
      title: details.title,
      priceCents: details.priceCents,
    })
    .returning();
  const ticket = toTicket(row);
  await outbox.add(tx, 'ticket.created', {
    id: ticket.id,
    version: ticket.version,
    title: ticket.title,
    price: ticket.price,
    userId: ticket.userId,
  });
  return ticket;
}

// GET /api/tickets/:id is the most frequent read: its statement is built and planned once.
const ticketById = preparedOn((db) =>
  db
    .select()
    .from(tickets)
    .where(eq(tickets.id, sql.placeholder('id')))
    .prepare('ticket_by_id'),
);

/** The ticket with `id`, or undefined. */
export async function findTicket(db: Database, id: string): Promise<Ticket | undefined> {
  const [row] = await ticketById(db).execute({ id });
  return row && toTicket(row);
}

/** The listing's order: oldest first, the id breaking ties (served by `tickets_for_sale_idx`). */
const forSaleKeyset: Keyset = { at: tickets.createdAt, id: tickets.id };

/** `%`, `_` and `\` match themselves in a search, not as LIKE wildcards. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The query of one page of the tickets for sale: up to `count` past `cursor` in `keysetOrder`,
 * each with its keyset position; `search` keeps titles containing it, in any case.
 */
export function ticketsForSaleQuery(
  db: Database,
  { search, cursor, count }: { search?: string; cursor?: PageCursor; count: number },
) {
  return db
    .select({ ticket: tickets, at: keysetPosition(forSaleKeyset) })
    .from(tickets)
    .where(
      and(
        isNull(tickets.orderId),
        isNull(tickets.soldAt),
        search === undefined ? undefined : ilike(tickets.title, likePattern(search)),
        cursor && keysetCondition(forSaleKeyset, cursor),
      ),
    )
    .orderBy(...keysetOrder(forSaleKeyset, cursor))
    .limit(count);
}

/**
 * One page of the tickets for sale (neither reserved nor sold), oldest first; with `search`, only
 * those whose title contains it, in any case. Pages are keyset positions (creation time, id), so
 * tickets sold or reserved between two pages never make another ticket repeat or be skipped.
 */
export async function listTicketsForSale(
  db: Database,
  { page, search }: { page: PageRequest; search?: string },
): Promise<Page<Ticket>> {
  const rows = await fetchKeysetPage(
    page,
    (cursor, count) => ticketsForSaleQuery(db, { search, cursor, count }),
    (row) => ({ at: row.at, id: row.ticket.id }),
  );
  return mapPage(rows, (row) => toTicket(row.ticket));
}

/**
 * The seller edits title and price: version + 1 and `ticket.updated`. 404 when missing, 401 when
 * `sellerId` is not the owner, 400 `Cannot edit a reserved ticket` while an order holds it or once sold.
 */
export async function updateTicket(
  tx: Tx,
  ticketId: string,
  sellerId: string,
  details: TicketDetails,
): Promise<Ticket> {
  const result = await changeTicket(tx, ticketId, (current) => {
    if (current.userId !== sellerId) throw new NotAuthorizedError();
    if (current.orderId !== null || current.soldAt !== null)
      throw new BadRequestError('Cannot edit a reserved ticket');
    return { title: details.title, priceCents: details.priceCents };
  });
  if (!result) throw new NotFoundError();
  return toTicket(result.ticket);
}
