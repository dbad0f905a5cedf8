import fs from 'node:fs';
import path from 'node:path';
import type { Loose } from './kustomize';
import { infraDir } from './paths';

/** One entry of infra/routes.json: requests whose path starts with `prefix` go to `service`. */
export interface Route {
  prefix: string;
  service: string;
}

/**
 * The host the Ingress and the HTTPRoute answer for, the browser's URL in development: browsers
 * resolve every *.localhost name to the loopback address (no hosts-file entry), and, unlike `.dev`
 * (HSTS-preloaded: HTTPS only), load it over plain HTTP.
 */
export const HOST = 'ticketing.localhost';
/**
 * Production's public host: a placeholder, to replace with the real name (here, then `npm run
 * generate -w @ticketing/infra`, and in infra/k8s/overlays/prod/certificate.yaml and gateway-https.yaml).
 */
export const PROD_HOST = 'ticketing.example.com';
/** The Secret cert-manager writes production's certificate to, which the HTTPS listener serves. */
export const PROD_TLS_SECRET = 'ticketing-tls';
/** Browsers keep to HTTPS for a year once they have seen this (prod, HTTPS responses only). */
export const HSTS = 'max-age=31536000; includeSubDomains';
export const GATEWAY_HTTPS_LISTENER = 'https';

/** Every app's Service listens on this port. */
export const SERVICE_PORT = 3000;
/**
 * The host the client's server-side code uses from inside the cluster (its API_BASE_URL): the
 * client forwards the browser's host as X-Forwarded-Host, so the request's own Host is this name
 * and the routes must answer for it too.
 * - ingress-nginx: the controller's Service, as in the course.
 * - Gateway API: NGINX Gateway Fabric names the Service of a Gateway `<gateway>-<gatewayclass>`,
 *   in the Gateway's namespace (another implementation: change it here and run `npm run generate`).
 */
export const INGRESS_INTERNAL_HOST = 'ingress-nginx-controller.ingress-nginx.svc.cluster.local';
export const GATEWAY_INTERNAL_HOST = 'ticketing-nginx';

/** The Gateway (infra/k8s/components/gateway-api/gateway.yaml) the HTTPRoute attaches to. */
export const GATEWAY_NAME = 'ticketing';
export const GATEWAY_LISTENER = 'http';

/** Reads infra/routes.json, the single route table. */
export function loadRoutes(file = path.join(infraDir, 'routes.json')): Route[] {
  const table = JSON.parse(fs.readFileSync(file, 'utf8')) as { routes: Route[] };
  for (const r of table.routes) {
    if (!r.prefix.startsWith('/')) throw new Error(`route prefix must start with "/": ${r.prefix}`);
    if (r.prefix !== '/' && r.prefix.endsWith('/'))
      throw new Error(`route prefix must not end with "/": ${r.prefix}`);
  }
  // `upgrade` is for the local gateway only: ingress-nginx and Gateway API pass websockets anyway.
  return table.routes.map(({ prefix, service }) => ({ prefix, service }));
}

/**
 * The readiness path of routes.json: every routed app's readinessProbe, and what the local gateway
 * probes on each replica before it balances to it.
 */
export function loadReadinessPath(file = path.join(infraDir, 'routes.json')): string {
  const { readinessPath } = JSON.parse(fs.readFileSync(file, 'utf8')) as { readinessPath?: string };
  if (!readinessPath?.startsWith('/')) throw new Error(`${file}: "readinessPath" must start with "/"`);
  return readinessPath;
}

/**
 * Longest-prefix routing with Kubernetes' path-element semantics (Ingress `Prefix`, Gateway API
 * `PathPrefix`): `/api/users` matches `/api/users` and `/api/users/x`, not `/api/usersx`.
 */
export function resolve(routes: Route[], requestPath: string): string | undefined {
  const matching = routes.filter(
    (r) => r.prefix === '/' || requestPath === r.prefix || requestPath.startsWith(`${r.prefix}/`),
  );
  matching.sort((a, b) => b.prefix.length - a.prefix.length);
  return matching[0]?.service;
}

/** Paths that tell two route tables apart: each prefix, below it, beside it and the root. */
export function probePaths(routes: Route[]): string[] {
  const out = new Set<string>(['/', '/x', '/api', '/api/', '/api/unknown', '/healthz']);
  for (const { prefix } of routes) {
    if (prefix === '/') continue;
    out.add(prefix);
    out.add(`${prefix}/`);
    out.add(`${prefix}/some-id`);
    out.add(`${prefix}/a/b`);
    out.add(`${prefix}x`);
  }
  return [...out].sort();
}

/** Longest prefix first, as the generated YAML lists them (the order is for readers; both APIs rank by length). */
function ordered(routes: Route[]): Route[] {
  return [...routes].sort((a, b) => b.prefix.length - a.prefix.length || a.prefix.localeCompare(b.prefix));
}

/** The Ingress for ingress-nginx that carries the route table. */
export function ingressFor(routes: Route[]): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'ticketing',
      annotations: {
        // Request bodies are JSON, at most 100 kB (the services answer 413 above that).
        'nginx.ingress.kubernetes.io/proxy-body-size': '1m',
      },
    },
    spec: {
      ingressClassName: 'nginx',
      rules: [HOST, INGRESS_INTERNAL_HOST].map((host) => ({
        host,
        http: {
          paths: ordered(routes).map((r) => ({
            path: r.prefix,
            pathType: 'Prefix',
            backend: { service: { name: r.service, port: { number: SERVICE_PORT } } },
          })),
        },
      })),
    },
  };
}

/**
 * The Gateway API HTTPRoute that carries the route table: in dev on the HTTP listener for the dev
 * host and the in-cluster name; `options` give production's variants.
 */
export function httpRouteFor(
  routes: Route[],
  options: {
    name?: string;
    listener?: string;
    hostnames?: string[];
    responseHeaders?: Record<string, string>;
  } = {},
): Record<string, unknown> {
  const headers = Object.entries(options.responseHeaders ?? {});
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: options.name ?? 'ticketing' },
    spec: {
      parentRefs: [{ name: GATEWAY_NAME, sectionName: options.listener ?? GATEWAY_LISTENER }],
      hostnames: options.hostnames ?? [HOST, GATEWAY_INTERNAL_HOST],
      rules: ordered(routes).map((r) => ({
        matches: [{ path: { type: 'PathPrefix', value: r.prefix } }],
        ...(headers.length
          ? {
              filters: [
                {
                  type: 'ResponseHeaderModifier',
                  responseHeaderModifier: { set: headers.map(([name, value]) => ({ name, value })) },
                },
              ],
            }
          : {}),
        backendRefs: [{ name: r.service, port: SERVICE_PORT }],
      })),
    },
  };
}

/**
 * Production's routes: the table for PROD_HOST on the HTTPS listener with HSTS (a patch of the
 * component's route), the table for the in-cluster name on the HTTP listener (the client's
 * server-side calls stay inside the cluster, unencrypted), and PROD_HOST over HTTP redirected to HTTPS.
 */
export function prodHttpRoutesFor(routes: Route[]): {
  patch: Record<string, unknown>;
  resources: Record<string, unknown>[];
} {
  return {
    patch: httpRouteFor(routes, {
      listener: GATEWAY_HTTPS_LISTENER,
      hostnames: [PROD_HOST],
      responseHeaders: { 'Strict-Transport-Security': HSTS },
    }),
    resources: [
      httpRouteFor(routes, { name: 'ticketing-internal', hostnames: [GATEWAY_INTERNAL_HOST] }),
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'ticketing-redirect' },
        spec: {
          parentRefs: [{ name: GATEWAY_NAME, sectionName: GATEWAY_LISTENER }],
          hostnames: [PROD_HOST],
          rules: [
            { filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] },
          ],
        },
      },
    ],
  };
}

/** Reads the route table of each host back out of an Ingress (only `Prefix` paths; anything else throws). */
export function routesOfIngress(ingress: Loose): Map<string, Route[]> {
  const byHost = new Map<string, Route[]>();
  if (ingress.spec.defaultBackend)
    throw new Error('Ingress must not have a defaultBackend (routes.json has "/")');
  for (const rule of ingress.spec.rules ?? []) {
    if (!rule.host) throw new Error('Ingress rule without host');
    const out: Route[] = byHost.get(rule.host) ?? [];
    byHost.set(rule.host, out);
    for (const p of rule.http.paths) {
      if (p.pathType !== 'Prefix') throw new Error(`Ingress path ${p.path} has pathType ${p.pathType}`);
      if (p.backend.service.port.number !== SERVICE_PORT) throw new Error(`Ingress path ${p.path}: port`);
      out.push({ prefix: p.path, service: p.backend.service.name });
    }
  }
  return byHost;
}

/** Reads the route table back out of an HTTPRoute (only PathPrefix matches; anything else throws). */
export function routesOfHttpRoute(route: Loose): Route[] {
  const out: Route[] = [];
  for (const rule of route.spec.rules ?? []) {
    if (rule.backendRefs?.length !== 1) throw new Error('HTTPRoute rule must have exactly one backend');
    const backend = rule.backendRefs[0];
    if ((backend.kind ?? 'Service') !== 'Service' || backend.port !== SERVICE_PORT) {
      throw new Error(`HTTPRoute backend ${backend.name}: expected Service port ${SERVICE_PORT}`);
    }
    for (const m of rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }]) {
      if (m.path?.type !== 'PathPrefix')
        throw new Error(`HTTPRoute match ${JSON.stringify(m)} is not PathPrefix`);
      if (m.headers || m.queryParams || m.method) throw new Error('HTTPRoute matches only on path');
      out.push({ prefix: m.path.value, service: backend.name });
    }
  }
  return out;
}
