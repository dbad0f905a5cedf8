import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound, redirect } from 'next/navigation';
import { TicketForm } from '@/components/TicketForm';
import { Unavailable } from '@/components/Unavailable';
import { getCurrentUser, serverFetch } from '@/lib/server-api';
import type { Ticket } from '@/lib/types';

export const metadata: Metadata = { title: 'Edit ticket' };

export default async function EditTicketPage({ params }: { params: Promise<{ ticketId: string }> }) {
  const { ticketId } = await params;
  const currentUser = await getCurrentUser();
  if (!currentUser) redirect(`/auth/signin?next=${encodeURIComponent(`/tickets/${ticketId}/edit`)}`);

  const result = await serverFetch<Ticket>(`/api/tickets/${encodeURIComponent(ticketId)}`);
  if (!result.ok && result.status === 404) notFound();
  if (!result.ok || !result.data) return <Unavailable what="This ticket is" status={result.status} />;
  const ticket = result.data;

  return (
    <div className="medium">
      <Link href={`/tickets/${ticket.id}`} className="back-link">
        ← Back to ticket
      </Link>
      <div className="card">
        <h1>Edit ticket</h1>
        {ticket.userId !== currentUser.id ? (
          <p className="alert error" role="alert" style={{ marginTop: 16 }}>
            Only the seller can edit this ticket.
          </p>
        ) : (
          <>
            {ticket.orderId !== null && (
              <p className="alert warning" style={{ marginTop: 16 }}>
                This ticket is reserved, so it cannot be edited right now.
              </p>
            )}
            <div style={{ marginTop: 24 }}>
              <TicketForm ticket={ticket} />
            </div>
          </>
        )}
      </div>
    </div>
  );
}
