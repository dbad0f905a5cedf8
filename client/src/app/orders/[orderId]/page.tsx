import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { OrderPayment } from '@/components/OrderPayment';
import { StatusBadge } from '@/components/StatusBadge';
import { Unavailable } from '@/components/Unavailable';
import { loadConfig } from '@/lib/config';
import { formatPrice } from '@/lib/format';
import { getCurrentUser, serverFetch } from '@/lib/server-api';
import type { Order } from '@/lib/types';

export const metadata: Metadata = { title: 'Order' };

export default async function OrderPage({ params }: { params: Promise<{ orderId: string }> }) {
  const { orderId } = await params;
  const currentUser = await getCurrentUser();
  if (!currentUser) redirect(`/auth/signin?next=${encodeURIComponent(`/orders/${orderId}`)}`);

  const result = await serverFetch<Order>(`/api/orders/${encodeURIComponent(orderId)}`);
  if (!result.ok && result.status === 404) notFound();
  if (!result.ok || !result.data) return <Unavailable what="This order is" status={result.status} />;

  const order = result.data;
  const { stripePublishableKey } = loadConfig();
  // A server component renders once per request: this is the request's time, handed to the countdown so
  // that its first client render matches the server's.
  // eslint-disable-next-line react-hooks/purity
  const serverNow = Date.now();
  const open = order.status === 'created' || order.status === 'awaiting:payment';

  return (
    <>
      <Link href="/orders" className="back-link">
        ← My orders
      </Link>
      <div className="page-head">
        <div>
          <h1>Order {order.id.slice(0, 8)}</h1>
          <p className="lead">Placed by {currentUser.email}</p>
        </div>
        <StatusBadge status={order.status} />
      </div>

      <div className="order-layout">
        <section className="card" aria-labelledby="summary-heading">
          <h2 id="summary-heading">Summary</h2>
          <dl className="details">
            <dt>Ticket</dt>
            <dd>
              <Link href={`/tickets/${order.ticket.id}`}>{order.ticket.title}</Link>
            </dd>
            <dt>Price</dt>
            <dd className="price">{formatPrice(order.ticket.price)}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={order.status} />
            </dd>
            <dt>Order id</dt>
            <dd style={{ fontFamily: 'var(--mono)', fontSize: '0.85rem' }}>{order.id}</dd>
          </dl>
        </section>

        <section className="card" aria-labelledby="payment-heading">
          <h2 id="payment-heading">Payment</h2>
          {order.status === 'complete' ? (
            <div className="alert success" role="status" data-testid="order-complete">
              <strong>Paid — your ticket is confirmed</strong>
              Thank you! You paid {formatPrice(order.ticket.price)} for “{order.ticket.title}”.
            </div>
          ) : order.status === 'cancelled' ? (
            <div className="alert warning" role="status" data-testid="order-cancelled">
              <strong>Order cancelled</strong>
              {Date.parse(order.expiresAt) <= serverNow
                ? 'The reservation expired before payment, so the ticket was released. You have not been charged.'
                : 'This order was cancelled and the ticket was released. You have not been charged.'}
            </div>
          ) : open ? (
            <OrderPayment
              orderId={order.id}
              price={order.ticket.price}
              expiresAt={order.expiresAt}
              serverNow={serverNow}
              stripePublishableKey={stripePublishableKey}
            />
          ) : (
            <p className="muted">This order cannot be paid.</p>
          )}
        </section>
      </div>
    </>
  );
}
