import fs from 'node:fs';
import path from 'node:path';

/** One entry of infra/routes.json: requests whose path starts with `prefix` go to `service`. */
export interface Route {
  prefix: string;
  service: string;
  /**
   * The local gateway tunnels protocol upgrades (websockets) to this route; on any other route an
   * upgrade request is answered as a plain request and the connection closed.
   */
  upgrade?: boolean;
}

/** The repository root (system/src or system/dist → ../..). */
export const repoRoot = path.resolve(__dirname, '..', '..');

/** The one route table shared with the Kubernetes Ingress/HTTPRoute. */
export const routesFile = path.join(repoRoot, 'infra', 'routes.json');

/**
 * The path every routed app answers 200 on when it takes requests (routes.json's `readinessPath`,
 * the Deployments' readinessProbe): the gateway's health checks probe each replica there.
 */
export function loadReadinessPath(file = routesFile): string {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { readinessPath?: unknown };
  if (typeof parsed.readinessPath !== 'string' || !parsed.readinessPath.startsWith('/'))
    throw new Error(`${file}: expected "readinessPath": "/..."`);
  return parsed.readinessPath;
}

/** Reads the route table, longest prefix first. */
export function loadRoutes(file = routesFile): Route[] {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { routes?: Route[] };
  if (!Array.isArray(parsed.routes)) throw new Error(`${file}: expected { "routes": [...] }`);
  for (const r of parsed.routes) {
    if (
      typeof r.prefix !== 'string' ||
      !r.prefix.startsWith('/') ||
      typeof r.service !== 'string' ||
      (r.upgrade !== undefined && typeof r.upgrade !== 'boolean')
    ) {
      throw new Error(`${file}: bad route ${JSON.stringify(r)}`);
    }
  }
  return [...parsed.routes].sort((a, b) => b.prefix.length - a.prefix.length);
}

/**
 * The service for a request path: the longest prefix that matches whole path segments, like a
 * Kubernetes `Prefix` path (`/api/users` matches `/api/users` and `/api/users/signup`, not `/api/usersx`).
 */
export function matchRoute(routes: Route[], url: string): Route | undefined {
  // Once per request at the gateway: no split, regex or template string on the way.
  const query = url.indexOf('?');
  const pathname = query === -1 ? url : url.slice(0, query);
  for (const r of routes) {
    const prefix = segmentPrefixOf(r);
    if (prefix === '') return r;
    if (!pathname.startsWith(prefix)) continue;
    if (pathname.length === prefix.length || pathname.charCodeAt(prefix.length) === SLASH) return r;
  }
  return undefined;
}

const SLASH = 0x2f;
/** A route's prefix without its trailing slashes (`/` → ''), worked out once per route. */
const segmentPrefixes = new WeakMap<Route, string>();
function segmentPrefixOf(route: Route): string {
  let prefix = segmentPrefixes.get(route);
  if (prefix === undefined) {
    prefix = route.prefix.replace(/\/+$/, '');
    segmentPrefixes.set(route, prefix);
  }
  return prefix;
}
