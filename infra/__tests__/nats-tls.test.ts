import { containerEnv } from '../src/env';
import { find, render, type Loose, type Manifest } from '../src/kustomize';
import { NATS_TLS_DIR, NATS_TLS_SECRET, natsTlsClients } from '../src/nats-tls';
import { natsClients } from '../src/network-flows';

const prod = render('overlays/prod');

function natsConf(manifests: Manifest[]): string {
  return manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('nats-config'))!.data[
    'nats.conf'
  ];
}

/** The text of a `name { ... }` block (nested blocks included), or undefined. */
function block(text: string, name: string): string | undefined {
  const start = text.search(new RegExp(`^\\s*${name}\\s*\\{`, 'm'));
  if (start < 0) return undefined;
  let depth = 0;
  for (let i = text.indexOf('{', start); i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unbalanced block ${name}`);
}

/** The secret volume (and its key) behind a file path in a workload's first container. */
function secretFileOf(workload: Manifest, file: string): { secret: string; key: string } | undefined {
  const spec = workload.spec.template.spec;
  const mount = (spec.containers[0].volumeMounts ?? []).find((m: Loose) =>
    file.startsWith(`${m.mountPath}/`),
  );
  const volume = mount && (spec.volumes ?? []).find((v: Loose) => v.name === mount.name);
  if (!volume?.secret) return undefined;
  const name = file.slice(mount.mountPath.length + 1);
  const items: { key: string; path: string }[] | undefined = volume.secret.items;
  const key = items ? items.find((i) => i.path === name)?.key : name;
  return key ? { secret: volume.secret.secretName, key } : undefined;
}

describe('NATS TLS in prod', () => {
  const conf = natsConf(prod);
  const cert = find(prod, 'Certificate', NATS_TLS_SECRET);

  it('requires TLS from clients, with the certificate mounted from the server Secret', () => {
    const tls = block(conf.replace(block(conf, 'cluster')!, ''), 'tls');

    expect(tls).toMatch(new RegExp(`cert_file: ${NATS_TLS_DIR}/tls.crt`));
    expect(tls).toMatch(new RegExp(`key_file: ${NATS_TLS_DIR}/tls.key`));
    expect(tls).toMatch(new RegExp(`ca_file: ${NATS_TLS_DIR}/ca.crt`));
    expect(tls).toMatch(/timeout: \d+/);
  });

  it('runs the cluster routes over mutual TLS, to host names the certificate names', () => {
    const cluster = block(conf, 'cluster')!;
    const tls = block(cluster, 'tls');
    const routes = [...cluster.matchAll(/^\s*(\S+:\/\/\S+)\s*$/gm)].map((m) => new URL(m[1]!));

    expect(tls).toMatch(new RegExp(`cert_file: ${NATS_TLS_DIR}/tls.crt`));
    expect(tls).toMatch(/verify: true/);
    expect(routes.map((r) => r.protocol)).toEqual(['nats-route:', 'nats-route:', 'nats-route:']);
    for (const r of routes) expect(cert.spec.dnsNames).toContain(r.hostname);
    expect(cert.spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
  });

  it('names the client Service (NATS_URL) in the certificate', () => {
    const cm = prod.find((m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('ticketing-config'))!;

    expect(cert.spec.dnsNames).toContain(new URL(cm.data.NATS_URL).hostname);
  });

  it('mounts the certificate, key and CA into every NATS node', () => {
    const sts = find(prod, 'StatefulSet', 'nats');

    for (const file of ['tls.crt', 'tls.key', 'ca.crt'])
      expect(secretFileOf(sts, `${NATS_TLS_DIR}/${file}`)).toEqual({ secret: NATS_TLS_SECRET, key: file });
  });

  it("issues the nodes' certificate from a private CA that a self-signed Issuer signs", () => {
    const caIssuer = find(prod, 'Issuer', cert.spec.issuerRef.name);
    const ca = prod.find(
      (m) => m.kind === 'Certificate' && m.spec.secretName === caIssuer.spec.ca.secretName,
    )!;
    const root = find(prod, 'Issuer', ca.spec.issuerRef.name);

    expect(cert.spec.issuerRef.kind).toBe('Issuer');
    expect(ca.spec.isCA).toBe(true);
    expect(root.spec.selfSigned).toEqual({});
  });

  it('gives every NATS client NATS_CA_FILE, the CA from the server Secret and not its key', () => {
    // Every workload that logs in to NATS, found by its NATS_USER, must be among the patched ones.
    const loggingIn = prod
      .filter((m) => ['Deployment', 'Job'].includes(m.kind))
      .filter((m) => containerEnv(prod, m).has('NATS_USER'))
      .map((m) => m.metadata.name)
      .sort();
    expect(natsTlsClients.map((c) => c.name).sort()).toEqual(loggingIn);
    expect(loggingIn).toEqual([...natsClients, 'nats-setup'].sort());

    for (const { kind, name } of natsTlsClients) {
      const workload = find(prod, kind, name);
      const caFile = containerEnv(prod, workload).get('NATS_CA_FILE');
      expect([name, caFile?.from]).toEqual([name, 'value']);
      const file = (caFile as { value: string }).value;
      expect([name, secretFileOf(workload, file)]).toEqual([
        name,
        { secret: NATS_TLS_SECRET, key: 'ca.crt' },
      ]);
      const volumes = workload.spec.template.spec.volumes.filter(
        (v: Loose) => v.secret?.secretName === NATS_TLS_SECRET,
      );
      expect([name, volumes.map((v: Loose) => v.secret.items)]).toEqual([
        name,
        [[{ key: 'ca.crt', path: 'ca.crt' }]],
      ]);
    }
  });
});

describe.each(['dev', 'dev-ingress-nginx'])('NATS in overlay %s', (overlay) => {
  const manifests = render(`overlays/${overlay}`);

  it('stays plain: no TLS in nats.conf, no NATS_CA_FILE', () => {
    expect(natsConf(manifests)).not.toMatch(/\btls\s*\{/);
    for (const m of manifests.filter((w) => ['Deployment', 'Job'].includes(w.kind)))
      expect([m.metadata.name, containerEnv(manifests, m).has('NATS_CA_FILE')]).toEqual([
        m.metadata.name,
        false,
      ]);
  });
});
