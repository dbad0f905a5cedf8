import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { Pager } from '@/components/Pager';
import { StatusBadge } from '@/components/StatusBadge';
import { Unavailable } from '@/components/Unavailable';
import { formatPrice } from '@/lib/format';
import { listApiPath, pageHref } from '@/lib/paging';
import { getCurrentUser, serverFetch } from '@/lib/server-api';
import type { Order } from '@/lib/types';

export const metadata: Metadata = { title: 'My orders' };

export default async function OrdersPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const currentUser = await getCurrentUser();
  if (!currentUser) redirect('/auth/signin?next=/orders');
  const result = await serverFetch<Order[]>(listApiPath('/api/orders', await searchParams, ['cursor']));
  if (!result.ok || !Array.isArray(result.data))
    return <Unavailable what="Your orders are" status={result.status} />;
  // The API pages newest first.
  const orders = result.data;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>My orders</h1>
          <p className="lead">Tickets you have reserved or bought.</p>
        </div>
      </div>
      {orders.length === 0 ? (
        <div className="card empty">
          <h2>No orders yet</h2>
          <p className="muted">When you purchase a ticket it shows up here.</p>
          <Link href="/" className="button">
            Browse tickets
          </Link>
        </div>
      ) : (
        <ul className="order-list" aria-label="Orders">
          {orders.map((order) => (
            <li key={order.id}>
              <Link href={`/orders/${order.id}`} data-testid="order-row">
                <span className="order-title">{order.ticket.title}</span>
                <StatusBadge status={order.status} />
                <span className="order-meta">
                  {formatPrice(order.ticket.price)} · Order {order.id.slice(0, 8)}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      <Pager
        label="Pages of orders"
        prev={pageHref('/orders', result.links?.prev)}
        next={pageHref('/orders', result.links?.next)}
      />
    </>
  );
}
