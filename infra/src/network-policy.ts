import type { Loose, Manifest } from './kustomize';
import type { LabelSelector } from './network-flows';

/**
 * A small evaluator of Kubernetes NetworkPolicy semantics (networking.k8s.io/v1), enough to prove
 * who can open a connection to whom from the rendered manifests, without a cluster:
 * - a pod selected by no policy of a type (Ingress/Egress) is open for that direction; once a
 *   policy of that type selects it, only what some such policy's rules allow gets through;
 * - a connection needs both: egress allowed at the source and ingress allowed at the destination
 *   (each checked only when that end is a pod of the policies' namespace);
 * - a peer with podSelector alone means pods of the policy's namespace; namespaceSelector alone,
 *   every pod of the matching namespaces; both, pods matching both; ipBlock, addresses in the CIDR
 *   outside its `except` (applied to every endpoint's address, pods included: the strictest reading);
 * - rule ports: missing means all; a named port is resolved against the destination pod's
 *   container ports; protocol defaults to TCP; endPort gives a range.
 */

/** Something that opens or accepts connections: a pod (with labels) or an outside address. */
export interface Endpoint {
  /** For messages only. */
  name: string;
  ip: string;
  /** Set for pods: their namespace, with its labels. */
  namespace?: { name: string; labels: Record<string, string> };
  labels?: Record<string, string>;
  /** Container ports by name (for named ports in rules). */
  ports?: Record<string, { port: number; protocol: string }>;
}

/** A connection attempt: `to`'s `port` over `protocol`. */
export interface Connection {
  from: Endpoint;
  to: Endpoint;
  port: number;
  protocol?: 'TCP' | 'UDP';
}

/** Does `selector` pick `labels`? The empty selector picks everything. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok =
      e.operator === 'In'
        ? has && (e.values ?? []).includes(labels[e.key]!)
        : e.operator === 'NotIn'
          ? !has || !(e.values ?? []).includes(labels[e.key]!)
          : e.operator === 'Exists'
            ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255)))
    throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Is `ip` inside `cidr` (IPv4)? */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return (ipToInt(ip) & mask) === (ipToInt(base!) & mask);
}

/** Does a rule's peer (`from`/`to` entry) of a policy in `policyNamespace` match `e`? */
function peerMatches(peer: Loose, policyNamespace: string, e: Endpoint): boolean {
  if (peer.ipBlock) {
    if (!inCidr(e.ip, peer.ipBlock.cidr)) return false;
    return !(peer.ipBlock.except ?? []).some((c: string) => inCidr(e.ip, c));
  }
  if (!e.namespace) return false; // selectors pick pods only
  const nsOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, e.namespace.labels)
    : e.namespace.name === policyNamespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, e.labels) : true;
  return nsOk && podOk;
}

/** Does a rule's `ports` list admit `port`/`protocol` on `dst`? */
function portMatches(ports: Loose[] | undefined, c: Connection): boolean {
  if (!ports || ports.length === 0) return true;
  const protocol = c.protocol ?? 'TCP';
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') {
      const named = c.to.ports?.[p.port];
      return !!named && named.port === c.port && named.protocol === protocol;
    }
    return p.endPort !== undefined ? c.port >= p.port && c.port <= p.endPort : c.port === p.port;
  });
}

function typesOf(policy: Manifest): string[] {
  return policy.spec.policyTypes ?? ['Ingress', ...(policy.spec.egress ? ['Egress'] : [])];
}

/** Does `direction` (from the point of view of `self`) let the connection through? */
function directionAllows(
  policies: Manifest[],
  namespace: string,
  direction: 'Ingress' | 'Egress',
  self: Endpoint,
  c: Connection,
): boolean {
  // Policies only govern pods of their own namespace.
  if (self.namespace?.name !== namespace) return true;
  const applying = policies.filter(
    (p) => typesOf(p).includes(direction) && selects(p.spec.podSelector, self.labels),
  );
  if (applying.length === 0) return true;
  const other = direction === 'Ingress' ? c.from : c.to;
  return applying.some((p) =>
    ((direction === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []).some((rule: Loose) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      const peerOk =
        !peers || peers.length === 0 || peers.some((peer: Loose) => peerMatches(peer, namespace, other));
      return peerOk && portMatches(rule.ports, c);
    }),
  );
}

/** Can the connection be opened, given the NetworkPolicies of `namespace`? */
export function allows(policies: Manifest[], namespace: string, c: Connection): boolean {
  const nps = policies.filter((p) => p.kind === 'NetworkPolicy');
  return (
    directionAllows(nps, namespace, 'Egress', c.from, c) &&
    directionAllows(nps, namespace, 'Ingress', c.to, c)
  );
}

/**
 * The pods of every Deployment and StatefulSet of the rendered manifests, in `namespace`, with
 * their template's labels and container ports (one endpoint per workload: replicas are alike).
 */
export function workloadPods(
  manifests: Manifest[],
  namespace: { name: string; labels: Record<string, string> },
): Endpoint[] {
  return manifests
    .filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet')
    .map((w, i) => {
      const ports: Endpoint['ports'] = {};
      for (const c of w.spec.template.spec.containers)
        for (const p of c.ports ?? [])
          if (p.name) ports[p.name] = { port: p.containerPort, protocol: p.protocol ?? 'TCP' };
      return {
        name: w.metadata.name,
        ip: `10.244.0.${i + 10}`,
        namespace,
        labels: w.spec.template.metadata.labels,
        ports,
      };
    });
}
