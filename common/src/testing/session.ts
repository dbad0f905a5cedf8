import crypto from 'node:crypto';
import { encodeSessionCookie, signSession } from '../http/session';

/** A `Cookie` header value for a signed-in user (a new random one unless given), as the auth service would set it. */
export function sessionCookie(jwtKey: string, user: { id?: string; email?: string } = {}): string {
  const id = user.id ?? crypto.randomUUID();
  const email = user.email ?? `user-${id.slice(0, 8)}@example.com`;
  return `session=${encodeSessionCookie(signSession({ id, email }, { jwtKey }))}`;
}
