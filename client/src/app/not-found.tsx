import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="card empty medium">
      <h1 style={{ fontSize: '1.4rem' }}>Page not found</h1>
      <p className="muted" style={{ marginTop: 8 }}>
        The page you are looking for does not exist or is no longer available.
      </p>
      <Link href="/" className="button secondary">
        Back to tickets
      </Link>
    </div>
  );
}
