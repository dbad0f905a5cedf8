import Link from 'next/link';

/** Shown when the API cannot be reached or fails: a page never crashes on it. */
export function Unavailable({ what, status }: { what: string; status?: number }) {
  return (
    <div className="card empty medium" role="status">
      <h1 style={{ fontSize: '1.4rem' }}>{what} unavailable right now</h1>
      <p className="muted" style={{ marginTop: 8 }}>
        {status === 401
          ? 'You do not have access to this page.'
          : 'We could not load this page. Please try again in a moment.'}
      </p>
      <Link href="/" className="button secondary">
        Back to tickets
      </Link>
    </div>
  );
}
