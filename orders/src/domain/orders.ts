import { and, eq } from 'drizzle-orm';
import {
  centsToPrice,
  fetchKeysetPage,
  keysetCondition,
  keysetOrder,
  keysetPosition,
  mapPage,
  NotAuthorizedError,
  NotFoundError,
  type Database,
  type Keyset,
  type OrderResource,
  type Page,
  type PageCursor,
  type PageRequest,
  type Tx,
} from '@ticketing/common';
import { orders, tickets, type OrderRow, type TicketRow } from '../db/schema';

/** An order as the API returns it, with its ticket as the replica holds it now. */
export type OrderView = OrderResource;

/** A database handle or a transaction: reads work on either. */
export type Reader = Database | Tx;

/** The API view of an order row and its ticket row. */
export function toOrderView(order: OrderRow, ticket: TicketRow): OrderView {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    expiresAt: order.expiresAt.toISOString(),
    ticket: {
      id: ticket.id,
      title: ticket.title,
      price: centsToPrice(ticket.priceCents),
      version: ticket.version,
    },
    version: order.version,
  };
}

/**
 * A buyer's orders: newest first (the order being paid for now comes before last year's), the id
 * breaking ties; `orders_user_created_id_idx` serves it read backwards.
 */
const buyerKeyset: Keyset = { at: orders.createdAt, id: orders.id, newestFirst: true };

/** The query of one page of a buyer's orders with their tickets: up to `count` past `cursor`. */
export function buyerOrdersQuery(
  db: Reader,
  { userId, cursor, count }: { userId: string; cursor?: PageCursor; count: number },
) {
  return db
    .select({ order: orders, ticket: tickets, at: keysetPosition(buyerKeyset) })
    .from(orders)
    .innerJoin(tickets, eq(tickets.id, orders.ticketId))
    .where(and(eq(orders.userId, userId), cursor && keysetCondition(buyerKeyset, cursor)))
    .orderBy(...keysetOrder(buyerKeyset, cursor))
    .limit(count);
}

/** One page of the orders of one buyer, newest first. */
export async function listOrdersOf(db: Reader, userId: string, page: PageRequest): Promise<Page<OrderView>> {
  const rows = await fetchKeysetPage(
    page,
    (cursor, count) => buyerOrdersQuery(db, { userId, cursor, count }),
    (row) => ({ at: row.at, id: row.order.id }),
  );
  return mapPage(rows, (row) => toOrderView(row.order, row.ticket));
}

/** One order of the caller: 404 when there is none, 401 when it is someone else's. */
export async function getOwnOrder(
  db: Reader,
  { orderId, userId }: { orderId: string; userId: string },
): Promise<OrderView> {
  const [row] = await db
    .select()
    .from(orders)
    .innerJoin(tickets, eq(tickets.id, orders.ticketId))
    .where(eq(orders.id, orderId));
  if (!row) throw new NotFoundError('Order not found');
  if (row.orders.userId !== userId) throw new NotAuthorizedError();
  return toOrderView(row.orders, row.tickets);
}
