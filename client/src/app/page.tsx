import Link from 'next/link';
import { Pager } from '@/components/Pager';
import { formatPrice } from '@/lib/format';
import { listApiPath, pageHref } from '@/lib/paging';
import { getCurrentUser, serverFetch } from '@/lib/server-api';
import type { Ticket } from '@/lib/types';

/** The longest search the API takes (it answers 400 beyond). */
const MAX_SEARCH_LENGTH = 100;

export default async function HomePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = await searchParams;
  const q = typeof params.q === 'string' ? params.q.trim() : '';
  const [currentUser, result] = await Promise.all([
    getCurrentUser(),
    serverFetch<Ticket[]>(listApiPath('/api/tickets', { ...params, q }, ['q', 'cursor', 'limit'])),
  ]);
  const tickets = result.ok && Array.isArray(result.data) ? result.data : null;
  const links = result.ok ? result.links : undefined;
  // A 400 here is a page link the API no longer accepts (an old cursor, a search too long).
  const badLink = !result.ok && result.status === 400;

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

      <form action="/" method="get" role="search" className="search">
        <input
          type="search"
          name="q"
          defaultValue={q}
          maxLength={MAX_SEARCH_LENGTH}
          placeholder="Search titles, e.g. jazz"
          aria-label="Search tickets by title"
        />
        <button type="submit" className="button secondary">
          Search
        </button>
      </form>

      {badLink ? (
        <div className="card empty" role="status">
          <h2>This page of the list is no longer available</h2>
          <p className="muted">{result.errors[0]?.message}</p>
          <Link href="/" className="button secondary">
            Back to the first page
          </Link>
        </div>
      ) : tickets === null ? (
        <div className="card empty" role="status">
          <h2>Tickets are unavailable right now</h2>
          <p className="muted">We could not load the listings. Please try again in a moment.</p>
          <Link href="/" className="button secondary">
            Try again
          </Link>
        </div>
      ) : tickets.length === 0 && q ? (
        <div className="card empty" role="status">
          <h2>No tickets match “{q}”</h2>
          <p className="muted">Try another word, or part of one.</p>
          <Link href="/" className="button secondary">
            Show all tickets
          </Link>
        </div>
      ) : tickets.length === 0 && params.cursor ? (
        <div className="card empty" role="status">
          <h2>No more tickets here</h2>
          <p className="muted">The tickets on this page have been sold in the meantime.</p>
          <Link href="/" className="button secondary">
            Back to the first page
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
        <>
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
          <Pager
            label="Pages of tickets"
            prev={pageHref('/', links?.prev)}
            next={pageHref('/', links?.next)}
          />
        </>
      )}
    </>
  );
}
