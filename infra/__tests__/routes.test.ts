import { find, render } from '../src/kustomize';
import {
  GATEWAY_HTTPS_LISTENER,
  GATEWAY_INTERNAL_HOST,
  GATEWAY_LISTENER,
  GATEWAY_NAME,
  HOST,
  HSTS,
  PROD_HOST,
  PROD_TLS_SECRET,
  INGRESS_INTERNAL_HOST,
  loadRoutes,
  probePaths,
  resolve,
  routesOfHttpRoute,
  routesOfIngress,
  type Route,
} from '../src/routes';

const table = loadRoutes();

/** What a table does with each probe path: one source of truth means identical answers. */
function behaviour(routes: Route[]): Record<string, string | undefined> {
  return Object.fromEntries(probePaths(table).map((p) => [p, resolve(routes, p)]));
}

const sorted = (routes: Route[]) => [...routes].sort((a, b) => a.prefix.localeCompare(b.prefix));

describe('infra/routes.json', () => {
  it('routes the contract table, and everything else to the client', () => {
    const expected = {
      '/api/users/signup': 'auth',
      '/api/tickets': 'tickets',
      '/api/orders/some-id': 'orders',
      '/api/payments': 'payments',
      '/api/usersx': 'client',
      '/': 'client',
      '/x': 'client',
    };
    for (const [p, service] of Object.entries(expected)) expect([p, resolve(table, p)]).toEqual([p, service]);
  });
});

describe.each(['dev-ingress-nginx'])('the Ingress of overlay %s', (overlay) => {
  const ingress = find(render(`overlays/${overlay}`), 'Ingress', 'ticketing');

  it('is for ingress-nginx and answers for ticketing.localhost and the in-cluster controller name', () => {
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect([...routesOfIngress(ingress).keys()]).toEqual([HOST, INGRESS_INTERNAL_HOST]);
  });

  it('carries exactly the routes of infra/routes.json for each host', () => {
    for (const routes of routesOfIngress(ingress).values()) {
      expect(sorted(routes)).toEqual(sorted(table));
      expect(behaviour(routes)).toEqual(behaviour(table));
    }
  });

  it('is reached by the client at API_BASE_URL', () => {
    const cm = render(`overlays/${overlay}`).find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('ticketing-config'),
    )!;
    expect(new URL(cm.data.API_BASE_URL).host).toBe(INGRESS_INTERNAL_HOST);
  });
});

describe('the Gateway API route of overlay dev', () => {
  const manifests = render('overlays/dev');
  const route = find(manifests, 'HTTPRoute', 'ticketing');

  it('attaches to the Gateway for ticketing.localhost and the in-cluster gateway name', () => {
    const gateway = find(manifests, 'Gateway', GATEWAY_NAME);
    expect(route.spec.parentRefs).toEqual([
      { name: GATEWAY_NAME, sectionName: gateway.spec.listeners[0].name },
    ]);
    expect(route.spec.hostnames).toEqual([HOST, GATEWAY_INTERNAL_HOST]);
    // A listener without hostname accepts both of the route's hostnames.
    expect(gateway.spec.listeners).toEqual([expect.objectContaining({ protocol: 'HTTP', port: 80 })]);
    expect(gateway.spec.listeners[0].hostname).toBeUndefined();
  });

  it('carries exactly the routes of infra/routes.json', () => {
    const routes = routesOfHttpRoute(route);
    expect(sorted(routes)).toEqual(sorted(table));
    expect(behaviour(routes)).toEqual(behaviour(table));
  });

  it('is reached by the client at API_BASE_URL', () => {
    const cm = manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('ticketing-config'),
    )!;
    expect(new URL(cm.data.API_BASE_URL).host).toBe(GATEWAY_INTERNAL_HOST);
  });

  it('routes only to Services that exist, on their port', () => {
    for (const r of routesOfHttpRoute(route)) {
      expect(find(manifests, 'Service', r.service).spec.ports[0].port).toBe(3000);
    }
  });
});

describe('the Gateway of overlay prod', () => {
  const manifests = render('overlays/prod');
  const gateway = find(manifests, 'Gateway', GATEWAY_NAME);
  const routes = manifests.filter((m) => m.kind === 'HTTPRoute');
  const listener = (name: string) => gateway.spec.listeners.find((l: { name: string }) => l.name === name);
  /** The routes attached to a listener that answer for a host. */
  const servingHost = (section: string, host: string) =>
    routes.filter(
      (r) =>
        r.spec.parentRefs.some((p: { sectionName: string }) => p.sectionName === section) &&
        r.spec.hostnames.includes(host),
    );

  it('serves the public host over HTTPS with the certificate cert-manager issues for it', () => {
    expect(listener(GATEWAY_HTTPS_LISTENER)).toEqual(
      expect.objectContaining({
        protocol: 'HTTPS',
        port: 443,
        hostname: PROD_HOST,
        tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: PROD_TLS_SECRET }] },
      }),
    );
    const cert = find(manifests, 'Certificate', PROD_TLS_SECRET);
    expect(cert.spec).toEqual(
      expect.objectContaining({ secretName: PROD_TLS_SECRET, dnsNames: [PROD_HOST] }),
    );
    expect(cert.spec.issuerRef.name).toEqual(expect.any(String));
  });

  it('routes the public host over HTTPS by infra/routes.json, with Strict-Transport-Security on every response', () => {
    const [https] = servingHost(GATEWAY_HTTPS_LISTENER, PROD_HOST);
    expect(servingHost(GATEWAY_HTTPS_LISTENER, PROD_HOST)).toHaveLength(1);
    expect(behaviour(routesOfHttpRoute(https))).toEqual(behaviour(table));
    for (const rule of https!.spec.rules)
      expect(rule.filters).toContainEqual({
        type: 'ResponseHeaderModifier',
        responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: HSTS }] },
      });
  });

  it('answers the public host over HTTP only with a permanent redirect to HTTPS', () => {
    const served = servingHost(GATEWAY_LISTENER, PROD_HOST);
    expect(served.map((r) => r.spec.rules)).toEqual([
      [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }],
    ]);
  });

  it('routes the in-cluster name over HTTP by infra/routes.json, for the client at API_BASE_URL', () => {
    const served = servingHost(GATEWAY_LISTENER, GATEWAY_INTERNAL_HOST);
    expect(served).toHaveLength(1);
    expect(behaviour(routesOfHttpRoute(served[0]))).toEqual(behaviour(table));
    const cm = manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('ticketing-config'),
    )!;
    expect(new URL(cm.data.API_BASE_URL)).toEqual(
      expect.objectContaining({ protocol: 'http:', host: GATEWAY_INTERNAL_HOST }),
    );
  });

  it('routes only to Services that exist, on their port', () => {
    for (const route of routes.filter((r) => r.metadata.name !== 'ticketing-redirect'))
      for (const r of routesOfHttpRoute(route))
        expect(find(manifests, 'Service', r.service).spec.ports[0].port).toBe(3000);
  });
});
