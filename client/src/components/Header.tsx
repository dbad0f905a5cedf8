import Link from 'next/link';
import type { CurrentUser } from '@/lib/types';

function Logo() {
  return (
    <svg width="28" height="28" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M3 7a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v2.2a2.8 2.8 0 0 0 0 5.6V17a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-2.2a2.8 2.8 0 0 0 0-5.6V7Z"
      />
      <path stroke="#fff" strokeWidth="1.6" strokeDasharray="1.6 1.8" d="M15 6.5v11" />
    </svg>
  );
}

/** The site header, server-rendered with the signed-in user's email. */
export function Header({ currentUser }: { currentUser: CurrentUser | null }) {
  return (
    <header className="site-header">
      <div className="container">
        <Link href="/" className="brand">
          <Logo />
          Ticketing
        </Link>
        <div className="header-right">
          {currentUser && (
            <span className="user-email" data-testid="current-user">
              <span className="visually-hidden">Signed in as </span>
              {currentUser.email}
            </span>
          )}
          <nav aria-label="Main">
            <ul className="nav">
              {currentUser ? (
                <>
                  <li>
                    <Link href="/tickets/new" className="nav-cta">
                      Sell tickets
                    </Link>
                  </li>
                  <li>
                    <Link href="/orders">My orders</Link>
                  </li>
                  <li>
                    <form method="post" action="/auth/signout">
                      <button type="submit" className="link-button">
                        Sign out
                      </button>
                    </form>
                  </li>
                </>
              ) : (
                <>
                  <li>
                    <Link href="/auth/signin">Sign in</Link>
                  </li>
                  <li>
                    <Link href="/auth/signup" className="nav-cta">
                      Sign up
                    </Link>
                  </li>
                </>
              )}
            </ul>
          </nav>
        </div>
      </div>
    </header>
  );
}
