import type { Manifest } from '../src/kustomize';
import { allows, type Endpoint } from '../src/network-policy';

// The evaluator the NetworkPolicy tests rely on, checked against the semantics Kubernetes documents.
const ns = (name: string) => ({ name, labels: { 'kubernetes.io/metadata.name': name } });
const pod = (name: string, namespace = 'app', ip = '10.244.0.2'): Endpoint => ({
  name,
  ip,
  namespace: ns(namespace),
  labels: { app: name },
  ports: { http: { port: 8080, protocol: 'TCP' } },
});
const policy = (name: string, spec: Manifest['spec']): Manifest => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name },
  spec,
});
const denyAll = policy('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
const a = pod('a');
const b = pod('b');

describe('the NetworkPolicy evaluator', () => {
  it('lets everything through when no policy selects either pod', () => {
    expect(allows([], 'app', { from: a, to: b, port: 8080 })).toBe(true);
  });

  it('needs egress at the source as well as ingress at the destination', () => {
    const ingressToB = policy('b-in', {
      podSelector: { matchLabels: { app: 'b' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a' } } }] }],
    });
    const egressFromA = policy('a-out', {
      podSelector: { matchLabels: { app: 'a' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'b' } } }] }],
    });
    expect(allows([denyAll, ingressToB], 'app', { from: a, to: b, port: 8080 })).toBe(false);
    expect(allows([denyAll, ingressToB, egressFromA], 'app', { from: a, to: b, port: 8080 })).toBe(true);
  });

  it('reads namespaceSelector and podSelector in one peer as AND, in two peers as OR', () => {
    const other = pod('a', 'other');
    const stranger = pod('c', 'other');
    const and = policy('and', {
      podSelector: { matchLabels: { app: 'b' } },
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } },
              podSelector: { matchLabels: { app: 'a' } },
            },
          ],
        },
      ],
    });
    const or = policy('or', {
      podSelector: { matchLabels: { app: 'b' } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } },
            { podSelector: { matchLabels: { app: 'a' } } },
          ],
        },
      ],
    });
    expect(allows([and], 'app', { from: other, to: b, port: 8080 })).toBe(true);
    expect(allows([and], 'app', { from: stranger, to: b, port: 8080 })).toBe(false);
    expect(allows([and], 'app', { from: a, to: b, port: 8080 })).toBe(false);
    expect(allows([or], 'app', { from: stranger, to: b, port: 8080 })).toBe(true);
    expect(allows([or], 'app', { from: a, to: b, port: 8080 })).toBe(true);
  });

  it("resolves a named port against the destination's container ports, TCP by default", () => {
    const named = policy('named', {
      podSelector: { matchLabels: { app: 'b' } },
      ingress: [{ ports: [{ port: 'http' }] }],
    });
    expect(allows([named], 'app', { from: a, to: b, port: 8080 })).toBe(true);
    expect(allows([named], 'app', { from: a, to: b, port: 9090 })).toBe(false);
    expect(allows([named], 'app', { from: a, to: b, port: 8080, protocol: 'UDP' })).toBe(false);
  });

  it('admits an address inside an ipBlock only outside its except ranges', () => {
    const out = policy('out', {
      podSelector: { matchLabels: { app: 'a' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ port: 443 }] }],
    });
    const publicHost: Endpoint = { name: 'public', ip: '54.1.2.3' };
    const privateHost: Endpoint = { name: 'private', ip: '10.9.9.9' };
    expect(allows([out], 'app', { from: a, to: publicHost, port: 443 })).toBe(true);
    expect(allows([out], 'app', { from: a, to: privateHost, port: 443 })).toBe(false);
    expect(allows([out], 'app', { from: a, to: publicHost, port: 80 })).toBe(false);
  });
});
