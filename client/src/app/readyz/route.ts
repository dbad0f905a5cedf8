/**
 * Readiness probe. The client is ready as soon as it serves: it renders friendly fallbacks when the
 * API is down, so an API outage must not take the client out of rotation too.
 */
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ status: 'ready' }, { headers: { 'cache-control': 'no-store' } });
}
