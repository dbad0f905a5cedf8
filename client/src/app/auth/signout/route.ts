/**
 * Sign out: tells the API (forwarding the user's cookie), clears the session cookie in the browser,
 * and redirects home. A route handler, so it works without JavaScript: the header's Sign out button
 * is a form that POSTs here. POST only: a GET would let any link, image or prefetch sign the user
 * out, so Next answers GET with 405.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { buildForwardHeaders } from '@/lib/api-core';
import { loadConfig } from '@/lib/config';
import { traceHeaders } from '@/lib/trace-headers';

export const dynamic = 'force-dynamic';

async function signOut(request: NextRequest): Promise<NextResponse> {
  const config = loadConfig();
  // A relative Location: right behind the gateway and on the client's own port alike.
  const response = new NextResponse(null, { status: 303, headers: { location: '/' } });
  let forwarded = false;
  try {
    const res = await fetch(`${config.apiBaseUrl}/api/users/signout`, {
      method: 'POST',
      headers: {
        ...buildForwardHeaders(request.headers),
        ...traceHeaders(),
        'content-type': 'application/json',
      },
      body: '{}',
      cache: 'no-store',
      signal: AbortSignal.timeout(config.apiTimeoutMs),
    });
    for (const cookie of res.headers.getSetCookie()) {
      response.headers.append('set-cookie', cookie);
      forwarded = true;
    }
  } catch {
    // The API is unreachable: clearing the cookie here still signs the browser out.
  }
  if (!forwarded)
    response.cookies.set('session', '', { path: '/', maxAge: 0, httpOnly: true, sameSite: 'lax' });
  return response;
}

export const POST = signOut;
