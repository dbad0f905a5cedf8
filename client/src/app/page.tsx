import Link from 'next/link';
import { formatPrice } from '@/lib/format';
import { getCurrentUser, serverFetch } from '@/lib/server-api';
import type { Ticket } from '@/lib/types';

export default async function HomePage() {
  const [currentUser, result] = await Promise.all([getCurrentUser(), serverFetch<Ticket[]>('/api/tickets')]);
  const tickets = result.ok && Array.isArray(result.data) ? result.data : null;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Tickets for sale</h1>
          <p className="lead">Pick a ticket, reserve it, and pay before the timer runs out.</p>
        </div>
        {currentUser && (
          <Link href="/tickets/new" className="button">
            Sell a ticket
          </Link>
        )}
      </div>

      {tickets === null ? (
        <div className="card empty" role="status">
          <h2>Tickets are unavailable right now</h2>
          <p className="muted">We could not load the listings. Please try again in a moment.</p>
          <Link href="/" className="button secondary">
            Try again
          </Link>
        </div>
      ) : tickets.length === 0 ? (
        <div className="card empty">
          <h2>No tickets for sale yet</h2>
          <p className="muted">New listings show up here as soon as they are posted.</p>
          <Link href={currentUser ? '/tickets/new' : '/auth/signup'} className="button">
            {currentUser ? 'Sell a ticket' : 'Sign up to sell'}
          </Link>
        </div>
      ) : (
        <ul className="ticket-grid" aria-label="Tickets for sale">
          {tickets.map((ticket) => (
            <li key={ticket.id}>
              <Link href={`/tickets/${ticket.id}`} className="ticket-card" data-testid="ticket-card">
                <span className="ticket-title">{ticket.title}</span>
                <span className="ticket-foot">
                  <span className="price">{formatPrice(ticket.price)}</span>
                  <span className="view" aria-hidden="true">
                    View →
                  </span>
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
