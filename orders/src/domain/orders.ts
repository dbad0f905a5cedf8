import { asc, eq } from 'drizzle-orm';
import {
  centsToPrice,
  NotAuthorizedError,
  NotFoundError,
  type Database,
  type OrderResource,
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

/** The orders of one buyer, oldest first. */
export async function listOrdersOf(db: Reader, userId: string): Promise<OrderView[]> {
  const rows = await db
    .select()
    .from(orders)
    .innerJoin(tickets, eq(tickets.id, orders.ticketId))
    .where(eq(orders.userId, userId))
    .orderBy(asc(orders.createdAt), asc(orders.id));
  return rows.map((row) => toOrderView(row.orders, row.tickets));
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
