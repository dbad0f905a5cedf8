import { render, type Manifest } from '../src/kustomize';
import { allows, workloadPods, type Endpoint } from '../src/network-policy';
import { apps, overlays, services } from '../src/paths';

const ns = (name: string) => ({ name, labels: { 'kubernetes.io/metadata.name': name } });
const here = ns('ticketing');

/** Who else is around: the gateway of each profile, kube-dns, outside addresses, another namespace. */
const gatewayPod: Endpoint = {
  name: 'gateway',
  ip: '10.244.1.2',
  namespace: here,
  // What NGINX Gateway Fabric puts on the data plane: the Gateway's infrastructure labels and its name.
  labels: {
    'app.kubernetes.io/name': 'ticketing-gateway',
    'gateway.networking.k8s.io/gateway-name': 'ticketing',
  },
  ports: { http: { port: 80, protocol: 'TCP' }, https: { port: 443, protocol: 'TCP' } },
};
const ngfControlPlane: Endpoint = {
  name: 'ngf-control-plane',
  ip: '10.244.1.3',
  namespace: ns('nginx-gateway'),
  labels: { 'app.kubernetes.io/name': 'nginx-gateway' },
  ports: { grpc: { port: 8443, protocol: 'TCP' } },
};
const ingressController: Endpoint = {
  name: 'ingress-controller',
  ip: '10.244.1.4',
  namespace: ns('ingress-nginx'),
  labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
  ports: { http: { port: 80, protocol: 'TCP' }, https: { port: 443, protocol: 'TCP' } },
};
const kubeDns: Endpoint = {
  name: 'kube-dns',
  ip: '10.244.1.5',
  namespace: ns('kube-system'),
  labels: { 'k8s-app': 'kube-dns' },
  ports: { dns: { port: 53, protocol: 'UDP' }, 'dns-tcp': { port: 53, protocol: 'TCP' } },
};
const otherKubeSystemPod: Endpoint = {
  name: 'metrics-server',
  ip: '10.244.1.6',
  namespace: ns('kube-system'),
  labels: { 'k8s-app': 'metrics-server' },
  ports: { https: { port: 443, protocol: 'TCP' } },
};
const otherNamespacePod: Endpoint = {
  name: 'other-namespace-pod',
  ip: '10.244.1.7',
  namespace: ns('other'),
  labels: { 'app.kubernetes.io/name': 'auth' },
  ports: { http: { port: 3000, protocol: 'TCP' } },
};
// prometheus-operator's Prometheus, where kube-prometheus-stack runs it.
const prometheus: Endpoint = {
  name: 'prometheus',
  ip: '10.244.1.8',
  namespace: ns('monitoring'),
  labels: { 'app.kubernetes.io/name': 'prometheus' },
  ports: { web: { port: 9090, protocol: 'TCP' } },
};
const browser: Endpoint = { name: 'browser', ip: '198.51.100.7' };
const stripe: Endpoint = {
  name: 'stripe',
  ip: '54.187.216.72',
  ports: { https: { port: 443, protocol: 'TCP' } },
};
const privateHost: Endpoint = {
  name: 'private-host',
  ip: '10.1.2.3',
  ports: { https: { port: 443, protocol: 'TCP' } },
};
const metadataService: Endpoint = {
  name: 'cloud-metadata',
  ip: '169.254.169.254',
  ports: { http: { port: 80, protocol: 'TCP' } },
};

interface Profile {
  /** The pods of the rendered overlay plus the gateway and the others. */
  endpoints: Endpoint[];
  policies: Manifest[];
}

function profileOf(overlay: string): Profile {
  const manifests = render(`overlays/${overlay}`);
  const gateway = overlay === 'dev-ingress-nginx' ? [ingressController] : [gatewayPod, ngfControlPlane];
  return {
    endpoints: [
      ...workloadPods(manifests, here),
      ...gateway,
      kubeDns,
      otherKubeSystemPod,
      otherNamespacePod,
      prometheus,
      browser,
      stripe,
      privateHost,
      metadataService,
    ],
    policies: manifests.filter((m) => m.kind === 'NetworkPolicy'),
  };
}

/** Every connection the policies let through, as `from → to:port/protocol`, over every endpoint's ports. */
function reachable({ endpoints, policies }: Profile): string[] {
  const out: string[] = [];
  for (const from of endpoints)
    for (const to of endpoints) {
      // Only connections into or out of this namespace are its policies' business.
      if (from.namespace?.name !== 'ticketing' && to.namespace?.name !== 'ticketing') continue;
      for (const { port, protocol } of Object.values(to.ports ?? {})) {
        const p = protocol as 'TCP' | 'UDP';
        if (allows(policies, 'ticketing', { from, to, port, protocol: p }))
          out.push(`${from.name} → ${to.name}:${port}/${p}`);
      }
    }
  return out.sort();
}

const can = (profile: Profile, from: string, to: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP') => {
  const e = (n: string) => {
    const found = profile.endpoints.find((x) => x.name === n);
    if (!found) throw new Error(`no endpoint ${n}`);
    return found;
  };
  return allows(profile.policies, 'ticketing', { from: e(from), to: e(to), port, protocol });
};

const inNamespace = [
  'auth',
  'tickets',
  'orders',
  'expiration',
  'payments',
  'client',
  'nats',
  ...services.map((s) => `${s}-db`),
];
/** The dev overlays' tracing pods (components/tracing). */
const tracingPods = ['otel-collector', 'jaeger'];

/** Everything outside this namespace (with the Gateway API profile's control plane). */
const outside = [
  'browser',
  'stripe',
  'private-host',
  'cloud-metadata',
  'kube-dns',
  'metrics-server',
  'other-namespace-pod',
  'prometheus',
  'ngf-control-plane',
];

/** The connections the system needs, written out by hand: the policies must allow these and nothing else. */
function expectedFlows(overlay: string): string[] {
  const gatewayApi = overlay !== 'dev-ingress-nginx';
  const gw = gatewayApi ? 'gateway' : 'ingress-controller';
  const dev = overlay !== 'prod';
  const podsHere = [...inNamespace, ...(dev ? tracingPods : []), ...(gatewayApi ? ['gateway'] : [])];
  return [
    ...podsHere.flatMap((p) => [`${p} → kube-dns:53/TCP`, `${p} → kube-dns:53/UDP`]),
    ...services.map((s) => `${s} → ${s}-db:5432/TCP`),
    ...['tickets', 'orders', 'expiration', 'payments'].map((s) => `${s} → nats:4222/TCP`),
    'nats → nats:6222/TCP',
    'payments → stripe:443/TCP',
    ...['auth', 'tickets', 'orders', 'payments', 'client'].map((a) => `${gw} → ${a}:3000/TCP`),
    `client → ${gw}:80/TCP`,
    // dev: every app sends spans to the collector, which sends them to Jaeger.
    ...(dev
      ? [...apps.map((a) => `${a} → otel-collector:4318/TCP`), 'otel-collector → jaeger:4317/TCP']
      : []),
    // prod: Prometheus scrapes every service's /metrics on its http port.
    ...(dev ? [] : services.map((s) => `prometheus → ${s}:3000/TCP`)),
    ...(gatewayApi
      ? [
          // The public entry point: from anywhere outside this namespace, to the listener ports.
          ...outside.flatMap((o) => [`${o} → gateway:80/TCP`, `${o} → gateway:443/TCP`]),
          'gateway → ngf-control-plane:8443/TCP',
        ]
      : []),
  ].sort();
}

describe.each([...overlays])('the NetworkPolicies of overlay %s', (overlay) => {
  const profile = profileOf(overlay);

  it('deny everything in and out of every pod by default, then allow one flow per policy', () => {
    const deny = profile.policies.filter((p) => p.metadata.name === 'default-deny');
    expect(deny.map((p) => p.spec)).toEqual([{ podSelector: {}, policyTypes: ['Ingress', 'Egress'] }]);
    const gatewayFlows =
      overlay === 'dev-ingress-nginx'
        ? ['client-to-ingress', 'ingress-to-apps']
        : ['client-to-gateway', 'gateway-to-apps', 'gateway-to-control-plane', 'internet-to-gateway'];
    expect(profile.policies.map((p) => p.metadata.name).sort()).toEqual(
      [
        'default-deny',
        'dns',
        ...services.map((s) => `${s}-to-${s}-db`),
        'services-to-nats',
        'nats-cluster',
        'payments-to-stripe',
        ...gatewayFlows,
        ...(overlay === 'prod'
          ? ['prometheus-to-services']
          : ['apps-to-otel-collector', 'otel-collector-to-jaeger']),
      ].sort(),
    );
  });

  it('let through exactly the connections the system needs, evaluated pod by pod and port by port', () => {
    expect(reachable(profile)).toEqual(expectedFlows(overlay));
  });

  it('keep the client away from NATS and every database', () => {
    expect(can(profile, 'client', 'nats', 4222)).toBe(false);
    for (const s of services) expect([s, can(profile, 'client', `${s}-db`, 5432)]).toEqual([s, false]);
  });

  it('let each service reach its own database and no other', () => {
    for (const s of services)
      for (const d of services)
        expect(`${s} → ${d}-db: ${can(profile, s, `${d}-db`, 5432)}`).toBe(`${s} → ${d}-db: ${s === d}`);
  });

  it('let the services with events reach NATS on 4222 only, and neither auth nor the client', () => {
    for (const s of ['tickets', 'orders', 'expiration', 'payments']) {
      expect([s, can(profile, s, 'nats', 4222)]).toEqual([s, true]);
      expect([s, can(profile, s, 'nats', 8222), can(profile, s, 'nats', 6222)]).toEqual([s, false, false]);
    }
    expect(can(profile, 'auth', 'nats', 4222)).toBe(false);
  });

  it('let NATS nodes reach each other on the cluster port, and nobody reach the monitoring port', () => {
    expect(can(profile, 'nats', 'nats', 6222)).toBe(true);
    for (const e of profile.endpoints)
      expect([e.name, can(profile, e.name, 'nats', 8222)]).toEqual([e.name, false]);
  });

  it('let only payments out to a public address, on 443, and nobody to a private or metadata address', () => {
    for (const e of profile.endpoints.filter((x) => x.namespace?.name === 'ticketing')) {
      expect([e.name, can(profile, e.name, 'stripe', 443)]).toEqual([e.name, e.name === 'payments']);
      expect([e.name, can(profile, e.name, 'private-host', 443)]).toEqual([e.name, false]);
      expect([e.name, can(profile, e.name, 'cloud-metadata', 80)]).toEqual([e.name, false]);
    }
    expect(can(profile, 'payments', 'stripe', 80)).toBe(false);
  });

  it("let Prometheus scrape every service's http port in prod (components/monitoring) and nothing else", () => {
    // The gateway is open to everyone (internet-to-gateway).
    for (const e of profile.endpoints.filter((x) => x.namespace?.name === 'ticketing' && x !== gatewayPod))
      for (const { port } of Object.values(e.ports ?? {}))
        expect([e.name, port, can(profile, 'prometheus', e.name, port)]).toEqual([
          e.name,
          port,
          overlay === 'prod' && (services as readonly string[]).includes(e.name) && port === 3000,
        ]);
  });

  if (overlay !== 'prod') {
    it('let every app send spans to the OpenTelemetry Collector, and only the collector reach Jaeger', () => {
      for (const a of apps) expect([a, can(profile, a, 'otel-collector', 4318)]).toEqual([a, true]);
      for (const e of profile.endpoints)
        expect([e.name, can(profile, e.name, 'jaeger', 4317)]).toEqual([e.name, e.name === 'otel-collector']);
    });
  }

  it('let a pod of another namespace reach nothing here but the gateway', () => {
    for (const e of profile.endpoints.filter((x) => x.namespace?.name === 'ticketing' && x !== gatewayPod))
      for (const { port } of Object.values(e.ports ?? {}))
        expect([e.name, port, can(profile, 'other-namespace-pod', e.name, port)]).toEqual([
          e.name,
          port,
          false,
        ]);
  });

  it('let every pod resolve names through kube-dns, and reach nothing else in kube-system', () => {
    for (const e of profile.endpoints.filter((x) => x.namespace?.name === 'ticketing')) {
      expect([e.name, can(profile, e.name, 'kube-dns', 53, 'UDP')]).toEqual([e.name, true]);
      expect([e.name, can(profile, e.name, 'metrics-server', 443)]).toEqual([e.name, false]);
    }
  });
});

describe('the NATS client Service', () => {
  it.each([...overlays])('in overlay %s exposes the client port only (not monitoring)', (overlay) => {
    const svc = render(`overlays/${overlay}`).find(
      (m) => m.kind === 'Service' && m.metadata.name === 'nats',
    )!;
    expect(svc.spec.ports.map((p: { port: number }) => p.port)).toEqual([4222]);
  });
});
