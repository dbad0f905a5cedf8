import type { Metadata } from 'next';
import Link from 'next/link';
import { AuthForm } from '@/components/AuthForm';
import { safeNextPath } from '@/lib/api-core';

export const metadata: Metadata = { title: 'Sign up' };

export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const next = safeNextPath((await searchParams).next);
  return (
    <div className="narrow">
      <div className="card">
        <h1>Create your account</h1>
        <p className="lead">Buy and sell tickets in minutes.</p>
        <div style={{ marginTop: 24 }}>
          <AuthForm mode="signup" next={next} />
        </div>
        <p className="muted" style={{ marginBottom: 0 }}>
          Already have an account?{' '}
          <Link href={`/auth/signin${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>Sign in</Link>
        </p>
      </div>
    </div>
  );
}
