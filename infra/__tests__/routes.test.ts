import { find, render } from '../src/kustomize';
import {
  GATEWAY_INTERNAL_HOST,
  GATEWAY_NAME,
  HOST,
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

describe.each(['dev', 'prod'])('the Gateway API route of overlay %s', (overlay) => {
  const manifests = render(`overlays/${overlay}`);
  const route = find(manifests, 'HTTPRoute', 'ticketing');

  it('attaches to the Gateway for ticketing.localhost and the in-cluster gateway name', () => {
    const gateway = find(manifests, 'Gateway', GATEWAY_NAME);
    expect(route.spec.parentRefs).toEqual([
      { name: GATEWAY_NAME, sectionName: gateway.spec.listeners[0].name },
    ]);
    expect(route.spec.hostnames).toEqual([HOST, GATEWAY_INTERNAL_HOST]);
    // A listener without hostname accepts both of the route's hostnames.
    expect(gateway.spec.listeners[0]).toEqual(expect.objectContaining({ protocol: 'HTTP', port: 80 }));
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
