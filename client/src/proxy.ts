/**
 * Runs before every page (Next's proxy, formerly middleware): a fresh CSP nonce per request and
 * the security headers (src/lib/security-headers.ts). Next reads the nonce from the request's
 * Content-Security-Policy header and puts it on the scripts it renders, which works because every
 * page is rendered per request (the layout is force-dynamic).
 */
import { NextResponse, type NextRequest } from 'next/server';
import { loadConfig } from '@/lib/config';
import { cameOverHttps, pageSecurityHeaders } from '@/lib/security-headers';

export function proxy(request: NextRequest): NextResponse {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  const headers = pageSecurityHeaders({
    nonce,
    stripe: loadConfig().stripePublishableKey !== null,
    https: cameOverHttps(request.headers.get('x-forwarded-proto')),
    development: process.env.NODE_ENV === 'development',
  });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('Content-Security-Policy', headers['Content-Security-Policy']!);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  // Static assets are immutable files with no scripts of their own to police.
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
