import fs from 'node:fs';
import path from 'node:path';
import { containerEnv, documentedSecrets, references } from '../src/env';
import { baseName, find, render } from '../src/kustomize';
import { overlays, repoRoot, services } from '../src/paths';

/** The shape every service's `src/config.ts` exports as `configSpec` (see common's config). */
type ConfigSpec = Record<string, { doc: string; default?: unknown; optional?: boolean; secret?: boolean }>;

/**
 * Variables a Deployment sets besides the service's configSpec: DB_USER composes DATABASE_URL,
 * PGPASSWORD is read by pg itself when the URL carries no password.
 */
const helperVariables = new Set(['DB_USER', 'PGPASSWORD']);

function loadSpec(svc: string): ConfigSpec {
  const file = path.join(repoRoot, svc, 'src', 'config.ts');
  if (!fs.existsSync(file))
    throw new Error(`${svc}/src/config.ts does not exist: the service must declare its configSpec`);
  const spec = (require(file) as { configSpec?: ConfigSpec }).configSpec;
  if (!spec) throw new Error(`${svc}/src/config.ts does not export configSpec`);
  return spec;
}

describe.each([...services])('the %s Deployment', (svc) => {
  describe.each([...overlays])('in overlay %s', (overlay) => {
    const manifests = render(`overlays/${overlay}`);
    const deployment = find(manifests, 'Deployment', svc);
    const env = containerEnv(manifests, deployment);

    it('sets every variable the service requires at start-up', () => {
      const spec = loadSpec(svc);
      const required = Object.entries(spec)
        .filter(([, v]) => v.default === undefined && !v.optional)
        .map(([name]) => name);
      expect(required.filter((name) => !env.has(name))).toEqual([]);
    });

    it('takes secret variables from Secrets, directly or composed from them with $(VAR)', () => {
      const spec = loadSpec(svc);
      for (const [name, v] of Object.entries(spec)) {
        const source = env.get(name);
        if (!v.secret || !source) continue;
        if (source.from === 'value') {
          // e.g. DATABASE_URL = postgres://$(DB_USER)@...: the user is a Secret's (the password is PGPASSWORD).
          const refs = [...source.value.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]!);
          const fromSecrets = refs.filter((r) => env.get(r)?.from === 'secret');
          expect([name, fromSecrets.length > 0]).toEqual([name, true]);
        } else {
          expect([name, source.from]).toEqual([name, 'secret']);
        }
      }
    });

    it('sets only variables the service declares (no typos), besides the shared ConfigMap', () => {
      const spec = loadSpec(svc);
      const explicit = (deployment.spec.template.spec.containers[0].env ?? []).map(
        (e: { name: string }) => e.name,
      );
      expect(explicit.filter((n: string) => !(n in spec) && !helperVariables.has(n))).toEqual([]);
    });

    it('names its NATS client after the pod and listens on 3000', () => {
      expect(env.get('NATS_CLIENT_NAME')).toEqual({ from: 'field', fieldPath: 'metadata.name' });
      expect(env.get('PORT')).toEqual({ from: 'value', value: '3000' });
    });

    it('connects to its own database as its own role, the password from the Secret as PGPASSWORD', () => {
      expect(env.get('DATABASE_URL')).toEqual({
        from: 'value',
        value: `postgres://$(DB_USER)@${svc}-db:5432/${svc}`,
      });
      expect(env.get('DB_USER')).toEqual(
        expect.objectContaining({
          from: 'secret',
          name: expect.stringMatching(`^${svc}-db-credentials`),
          key: 'DB_USER',
        }),
      );
      expect(env.get('PGPASSWORD')).toEqual(
        expect.objectContaining({
          from: 'secret',
          name: expect.stringMatching(`^${svc}-db-credentials`),
          key: 'DB_PASSWORD',
        }),
      );
    });
  });
});

describe.each([...overlays])('references to ConfigMaps and Secrets in overlay %s', (overlay) => {
  const manifests = render(`overlays/${overlay}`);
  const documented = documentedSecrets();

  it('point at objects and keys that exist, or at Secrets the README says to create', () => {
    const dangling: string[] = [];
    for (const ref of references(manifests)) {
      const target = manifests.find((m) => m.kind === ref.kind && m.metadata.name === ref.name);
      if (target) {
        const keys = Object.keys({ ...target.data, ...target.stringData });
        if (ref.key && !keys.includes(ref.key))
          dangling.push(`${ref.workload} → ${ref.kind} ${ref.name} key ${ref.key}`);
        continue;
      }
      // A Secret a cert-manager Certificate of the manifests writes (a CA Issuer's adds ca.crt).
      const certificate = manifests.find((m) => m.kind === 'Certificate' && m.spec.secretName === ref.name);
      if (ref.kind === 'Secret' && certificate) {
        if (ref.key && !['tls.crt', 'tls.key', 'ca.crt'].includes(ref.key))
          dangling.push(`${ref.workload} → ${ref.kind} ${ref.name} key ${ref.key}`);
        continue;
      }
      // Not in the manifests: only a hand-made Secret documented with that key will do.
      const keys =
        ref.kind === 'Secret' ? (documented.get(baseName(ref.name)) ?? documented.get(ref.name)) : undefined;
      if (!keys || (ref.key && !keys.has(ref.key))) {
        dangling.push(`${ref.workload} → ${ref.kind} ${ref.name}${ref.key ? ` key ${ref.key}` : ''}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it('take JWT_KEY from the hand-made Secret jwt-secret, as the course did', () => {
    for (const svc of services.filter((s) => s !== 'expiration')) {
      const env = containerEnv(manifests, find(manifests, 'Deployment', svc));
      expect(env.get('JWT_KEY')).toEqual({
        from: 'secret',
        name: 'jwt-secret',
        key: 'JWT_KEY',
        optional: false,
      });
    }
  });

  it(`make the Stripe keys ${overlay === 'prod' ? 'required' : 'optional'}`, () => {
    const optional = overlay !== 'prod';
    const payments = containerEnv(manifests, find(manifests, 'Deployment', 'payments'));
    expect(payments.get('STRIPE_SECRET_KEY')).toEqual({
      from: 'secret',
      name: 'stripe-secret',
      key: 'STRIPE_SECRET_KEY',
      optional,
    });
    const client = containerEnv(manifests, find(manifests, 'Deployment', 'client'));
    expect(client.get('STRIPE_PUBLISHABLE_KEY')).toEqual(
      expect.objectContaining({ name: 'stripe-secret', optional }),
    );
    expect(client.get('API_BASE_URL')).toEqual(expect.objectContaining({ from: 'configMap' }));
  });
});

describe('the prod overlay', () => {
  it('marks no Secret or ConfigMap reference optional: a missing one stops the rollout', () => {
    const optional = references(render('overlays/prod')).filter((r) => r.optional);
    expect(optional.map((r) => `${r.workload} → ${r.kind} ${r.name} ${r.key ?? ''}`)).toEqual([]);
  });
});
