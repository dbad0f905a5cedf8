import type { Metadata } from 'next';
import Link from 'next/link';
import { AuthForm } from '@/components/AuthForm';
import { safeNextPath } from '@/lib/api-core';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const next = safeNextPath((await searchParams).next);
  return (
    <div className="narrow">
      <div className="card">
        <h1>Sign in</h1>
        <p className="lead">Welcome back.</p>
        <div style={{ marginTop: 24 }}>
          <AuthForm mode="signin" next={next} />
        </div>
        <p className="muted" style={{ marginBottom: 0 }}>
          New here?{' '}
          <Link href={`/auth/signup${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>
            Create an account
          </Link>
        </p>
      </div>
    </div>
  );
}
