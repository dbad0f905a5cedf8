import { serviceCatalog } from '@ticketing/common';
import { apps, services } from './paths';

/** A Kubernetes label selector (matchLabels and matchExpressions, as in the API). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

/**
 * One end of a flow: pods of this namespace (`pods` alone), pods of other namespaces
 * (`namespace`, with `pods` to narrow), or addresses (`cidr`).
 */
export type Peer =
  | { pods: LabelSelector; namespace?: undefined; cidr?: undefined }
  | { pods?: LabelSelector; namespace: LabelSelector; cidr?: undefined }
  | { cidr: string; except?: string[]; pods?: undefined; namespace?: undefined };

/** A port of a flow: a number or a container port's name, TCP unless told. */
export interface FlowPort {
  port: number | string;
  protocol?: 'TCP' | 'UDP';
}

/** A connection the system needs: `from` may open connections to `to` on `ports`. Nothing else is allowed. */
export interface Flow {
  name: string;
  /** Why the flow exists (the policy's description annotation). */
  why: string;
  from: Peer;
  to: Peer;
  ports: FlowPort[];
  /**
   * Only the source's egress rule: for a destination that another flow already opens to everyone
   * (the gateway), so that selecting it here would only let it reach itself.
   */
  egressOnly?: boolean;
}

const name = (n: string): LabelSelector => ({ matchLabels: { 'app.kubernetes.io/name': n } });
const names = (ns: readonly string[]): LabelSelector => ({
  matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: [...ns] }],
});
const namespaceNamed = (n: string): LabelSelector => ({
  matchLabels: { 'kubernetes.io/metadata.name': n },
});

/** The apps a browser reaches through the gateway (infra/routes.json): the client and the HTTP services. */
export const gatewayBackends = ['auth', 'tickets', 'orders', 'payments', 'client'] as const;

/** The services with events to publish or consume (common's service catalog): the NATS clients. */
export const natsClients = services.filter((s) => {
  const d = serviceCatalog[s];
  return d.publishes.length > 0 || d.consumes.length > 0;
});

/**
 * Private, link-local (cloud metadata) and shared address ranges: never "the internet". A policy
 * cannot name a host, so Stripe's API is "any public address on 443", for payments only.
 */
export const nonPublicRanges = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
  '127.0.0.0/8',
];

/** Flows of every profile: DNS, the databases, NATS, and payments to Stripe. */
export const commonFlows: Flow[] = [
  {
    name: 'dns',
    why: 'Every pod resolves names (Services, the NATS routes, api.stripe.com) through kube-dns',
    from: { pods: {} },
    to: { namespace: namespaceNamed('kube-system'), pods: { matchLabels: { 'k8s-app': 'kube-dns' } } },
    ports: [
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ],
  },
  ...services.map((svc): Flow => ({
    name: `${svc}-to-${svc}-db`,
    why: `${svc} uses its own database, and no other service does`,
    from: { pods: name(svc) },
    to: { pods: name(`${svc}-db`) },
    ports: [{ port: 'postgres' }],
  })),
  {
    name: 'services-to-nats',
    why: "The services with events (common's service catalog) publish and consume through NATS JetStream; the nats-setup Job sizes the stream as its admin",
    from: { pods: names([...natsClients, 'nats-setup']) },
    to: { pods: name('nats') },
    ports: [{ port: 'client' }],
  },
  {
    name: 'nats-cluster',
    why: 'NATS nodes form the JetStream cluster over their route port',
    from: { pods: name('nats') },
    to: { pods: name('nats') },
    ports: [{ port: 'cluster' }],
  },
  {
    name: 'payments-to-stripe',
    why: "payments calls Stripe's API (api.stripe.com over HTTPS); a policy cannot name a host, so: any public address, port 443",
    from: { pods: name('payments') },
    to: { cidr: '0.0.0.0/0', except: nonPublicRanges },
    ports: [{ port: 443 }],
  },
];

/**
 * The label the Gateway's data plane pods carry: NGINX Gateway Fabric runs them in this namespace
 * and copies the Gateway's `spec.infrastructure.labels` onto them (components/gateway-api/gateway.yaml).
 */
export const GATEWAY_POD_NAME = 'ticketing-gateway';
const gatewayPods = name(GATEWAY_POD_NAME);

/**
 * The Gateway API profile: the data plane in this namespace; its NGINX agent takes its
 * configuration from the control plane in the namespace nginx-gateway.
 */
export const gatewayApiFlows: Flow[] = [
  {
    name: 'internet-to-gateway',
    why: 'Browsers reach the Gateway on its listener ports (80, and 443 in prod)',
    from: { cidr: '0.0.0.0/0' },
    to: { pods: gatewayPods },
    ports: [{ port: 80 }, { port: 443 }],
  },
  {
    name: 'gateway-to-apps',
    why: 'The Gateway forwards requests to the client and the HTTP services (infra/routes.json)',
    from: { pods: gatewayPods },
    to: { pods: names(gatewayBackends) },
    ports: [{ port: 'http' }],
  },
  {
    name: 'client-to-gateway',
    why: "The client's server-side rendering calls the API through the Gateway (API_BASE_URL)",
    from: { pods: name('client') },
    to: { pods: gatewayPods },
    ports: [{ port: 80 }],
    egressOnly: true, // internet-to-gateway admits it
  },
  {
    name: 'gateway-to-control-plane',
    why: "The data plane's NGINX agent connects to NGINX Gateway Fabric's control plane (gRPC)",
    from: { pods: gatewayPods },
    to: {
      namespace: namespaceNamed('nginx-gateway'),
      pods: { matchLabels: { 'app.kubernetes.io/name': 'nginx-gateway' } },
    },
    ports: [{ port: 8443 }],
  },
];

/** ingress-nginx's controller, in its own namespace. */
const ingressController: Peer = {
  namespace: namespaceNamed('ingress-nginx'),
  pods: {
    matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
  },
};

/** The ingress-nginx profile: the controller runs in the namespace ingress-nginx. */
export const ingressNginxFlows: Flow[] = [
  {
    name: 'ingress-to-apps',
    why: 'The ingress-nginx controller forwards requests to the client and the HTTP services (infra/routes.json)',
    from: ingressController,
    to: { pods: names(gatewayBackends) },
    ports: [{ port: 'http' }],
  },
  {
    name: 'client-to-ingress',
    why: "The client's server-side rendering calls the API through the controller (API_BASE_URL)",
    from: { pods: name('client') },
    to: ingressController,
    ports: [{ port: 80 }],
  },
];

/**
 * Tracing, in the dev overlays (components/tracing): every app sends its spans to the OpenTelemetry
 * Collector (OTEL_EXPORTER_OTLP_ENDPOINT, OTLP over HTTP), which sends them on to Jaeger.
 */
export const tracingFlows: Flow[] = [
  {
    name: 'apps-to-otel-collector',
    why: 'Every app exports its spans over OTLP/HTTP to the OpenTelemetry Collector (OTEL_EXPORTER_OTLP_ENDPOINT)',
    from: { pods: names(apps) },
    to: { pods: name('otel-collector') },
    ports: [{ port: 'otlp-http' }],
  },
  {
    name: 'otel-collector-to-jaeger',
    why: 'The OpenTelemetry Collector forwards the spans to Jaeger over OTLP/gRPC',
    from: { pods: name('otel-collector') },
    to: { pods: name('jaeger') },
    ports: [{ port: 'otlp-grpc' }],
  },
];

/**
 * Where Prometheus runs: prometheus-operator's Prometheus pods (label app.kubernetes.io/name:
 * prometheus) in the namespace `monitoring` (kube-prometheus-stack's usual home). Change both here
 * if yours differ, then `npm run generate -w @ticketing/infra`.
 */
export const PROMETHEUS_NAMESPACE = 'monitoring';

/** Metrics, in prod (components/monitoring): Prometheus scrapes every service's /metrics on its http port. */
export const monitoringFlows: Flow[] = [
  {
    name: 'prometheus-to-services',
    why: "Prometheus scrapes every service's /metrics on its http port (the PodMonitor of components/monitoring)",
    from: {
      namespace: namespaceNamed(PROMETHEUS_NAMESPACE),
      pods: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
    },
    to: { pods: names(services) },
    ports: [{ port: 'http' }],
  },
];

const inNamespace = (p: Peer): p is { pods: LabelSelector } => !!p.pods && !p.namespace && !p.cidr;

function peerOf(p: Peer): Record<string, unknown> {
  if (p.cidr) return { ipBlock: { cidr: p.cidr, ...(p.except ? { except: p.except } : {}) } };
  return {
    ...(p.namespace ? { namespaceSelector: p.namespace } : {}),
    ...(p.pods ? { podSelector: p.pods } : {}),
  };
}

/** The app names a selector picks by `app.kubernetes.io/name` alone, or undefined. */
function appNames(s: LabelSelector): string[] | undefined {
  const labels = Object.entries(s.matchLabels ?? {});
  const exprs = s.matchExpressions ?? [];
  if (labels.length === 1 && !exprs.length && labels[0]![0] === 'app.kubernetes.io/name')
    return [labels[0]![1]];
  const [e] = exprs;
  if (!labels.length && exprs.length === 1 && e!.key === 'app.kubernetes.io/name' && e!.operator === 'In')
    return e!.values;
  return undefined;
}

/** Both ends' selectors as one: the pods the flow's policy applies to. */
function selectorOfBoth(a: LabelSelector, b: LabelSelector): LabelSelector {
  if (JSON.stringify(a) === JSON.stringify(b)) return a;
  const na = appNames(a);
  const nb = appNames(b);
  if (!na || !nb)
    throw new Error('both ends of a flow inside the namespace must be picked by app.kubernetes.io/name');
  return names([...new Set([...na, ...nb])]);
}

/**
 * The one NetworkPolicy of a flow. It selects the flow's ends in this namespace: the source gets
 * the egress rule, the destination the ingress rule. When both ends are here, the policy selects
 * both, so the source also gets that ingress rule and the destination that egress rule: harmless,
 * since a connection needs egress at one end and ingress at the other (the tests evaluate it).
 */
export function policyFor(flow: Flow): Record<string, unknown> {
  const ports = flow.ports.map((p) => ({ protocol: p.protocol ?? 'TCP', port: p.port }));
  const egress = inNamespace(flow.from);
  const ingress = inNamespace(flow.to) && !flow.egressOnly;
  if (!egress && !ingress) throw new Error(`flow ${flow.name} has no end in this namespace`);
  const podSelector =
    egress && ingress
      ? selectorOfBoth(flow.from.pods!, flow.to.pods!)
      : egress
        ? flow.from.pods!
        : flow.to.pods!;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: flow.name, annotations: { 'ticketing/why': flow.why } },
    spec: {
      podSelector,
      policyTypes: [...(ingress ? ['Ingress'] : []), ...(egress ? ['Egress'] : [])],
      ...(ingress ? { ingress: [{ from: [peerOf(flow.from)], ports }] } : {}),
      ...(egress ? { egress: [{ to: [peerOf(flow.to)], ports }] } : {}),
    },
  };
}

/** Every pod of the namespace: nothing in or out but what a flow's policy allows. */
export const defaultDeny = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: {
    name: 'default-deny',
    annotations: { 'ticketing/why': 'Nothing in or out of a pod but the flows the other policies allow' },
  },
  spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
};
