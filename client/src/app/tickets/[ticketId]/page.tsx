import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { PurchaseButton } from '@/components/PurchaseButton';
import { Unavailable } from '@/components/Unavailable';
import { formatPrice } from '@/lib/format';
import { getCurrentUser, serverFetch } from '@/lib/server-api';
import type { Ticket } from '@/lib/types';

export const metadata: Metadata = { title: 'Ticket' };

export default async function TicketPage({ params }: { params: Promise<{ ticketId: string }> }) {
  const { ticketId } = await params;
  const [currentUser, result] = await Promise.all([
    getCurrentUser(),
    serverFetch<Ticket>(`/api/tickets/${encodeURIComponent(ticketId)}`),
  ]);
  if (!result.ok && result.status === 404) notFound();
  if (!result.ok || !result.data) return <Unavailable what="This ticket is" status={result.status} />;

  const ticket = result.data;
  const isOwner = currentUser?.id === ticket.userId;
  const reserved = ticket.orderId !== null;

  return (
    <div className="medium">
      <Link href="/" className="back-link">
        ← All tickets
      </Link>
      <article className="card" data-testid="ticket-details">
        <div className="page-head" style={{ marginBottom: 0 }}>
          <h1 style={{ overflowWrap: 'anywhere' }}>{ticket.title}</h1>
          {reserved ? (
            <span className="badge neutral">Reserved</span>
          ) : (
            <span className="badge complete">Available</span>
          )}
        </div>
        <p className="big-price">{formatPrice(ticket.price)}</p>

        {reserved ? (
          <p className="alert info">
            Someone has reserved this ticket. It may come back on sale if they do not pay in time.
          </p>
        ) : isOwner ? (
          <div className="actions">
            <p className="muted" style={{ margin: 0 }}>
              This is your listing.
            </p>
            <Link href={`/tickets/${ticket.id}/edit`} className="button secondary">
              Edit
            </Link>
          </div>
        ) : currentUser ? (
          <>
            <PurchaseButton ticketId={ticket.id} />
            <p className="secure-note" style={{ marginTop: 12 }}>
              Purchasing reserves the ticket for you while you pay.
            </p>
          </>
        ) : (
          <div className="actions">
            <Link
              href={`/auth/signin?next=${encodeURIComponent(`/tickets/${ticket.id}`)}`}
              className="button"
            >
              Sign in to purchase
            </Link>
          </div>
        )}
        {isOwner && reserved && (
          <p className="muted" style={{ marginBottom: 0 }}>
            This is your listing. <Link href={`/tickets/${ticket.id}/edit`}>Edit</Link>
          </p>
        )}
      </article>
    </div>
  );
}
