import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { TicketForm } from '@/components/TicketForm';
import { getCurrentUser } from '@/lib/server-api';

export const metadata: Metadata = { title: 'Sell a ticket' };

export default async function NewTicketPage() {
  const currentUser = await getCurrentUser();
  if (!currentUser) redirect('/auth/signin?next=/tickets/new');
  return (
    <div className="medium">
      <div className="card">
        <h1>Sell a ticket</h1>
        <p className="lead">
          Buyers see the title and price. You can edit them until someone reserves the ticket.
        </p>
        <div style={{ marginTop: 24 }}>
          <TicketForm />
        </div>
      </div>
    </div>
  );
}
