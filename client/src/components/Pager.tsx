import Link from 'next/link';

/** Previous / next page links of a list, each a shareable, server-rendered URL; nothing when the list fits one page. */
export function Pager({ prev, next, label }: { prev?: string; next?: string; label: string }) {
  if (!prev && !next) return null;
  return (
    <nav className="pager" aria-label={label}>
      {prev ? (
        <Link href={prev} className="button secondary" rel="prev">
          ← Previous
        </Link>
      ) : (
        <span />
      )}
      {next && (
        <Link href={next} className="button secondary" rel="next">
          Next →
        </Link>
      )}
    </nav>
  );
}
