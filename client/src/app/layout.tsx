import type { Metadata, Viewport } from 'next';
import { Header } from '@/components/Header';
import { getCurrentUser } from '@/lib/server-api';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Ticketing', template: '%s · Ticketing' },
  description: 'Buy and sell event tickets safely.',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: '#3730a3',
};

// Every page depends on who is asking (the session cookie), so nothing is prerendered.
export const dynamic = 'force-dynamic';

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const currentUser = await getCurrentUser();
  return (
    <html lang="en">
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <Header currentUser={currentUser} />
        <main id="main">
          <div className="container">{children}</div>
        </main>
        <footer className="site-footer">
          <div className="container">
            <span>© Ticketing</span>
            <span>Payments are processed securely. Tickets are held for you while you pay.</span>
          </div>
        </footer>
      </body>
    </html>
  );
}
