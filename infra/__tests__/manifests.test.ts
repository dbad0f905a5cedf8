import { find, render, type Loose, type Manifest } from '../src/kustomize';
import { apps, overlays, services } from '../src/paths';
import { loadReadinessPath } from '../src/routes';
import { validateManifest } from '../src/validate';

const rendered = Object.fromEntries(overlays.map((o) => [o, render(`overlays/${o}`)])) as Record<
  (typeof overlays)[number],
  Manifest[]
>;

describe.each(overlays)('overlay %s', (overlay) => {
  const manifests = rendered[overlay];

  it('validates every object against the Kubernetes and Gateway API schemas', () => {
    const problems = manifests.map(validateManifest).filter(Boolean);
    expect(problems).toEqual([]);
    expect(manifests.length).toBeGreaterThan(30);
  });

  it('has no two objects of the same kind and name', () => {
    const ids = manifests.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it.each([...apps])(
    'runs %s as a Deployment behind a ClusterIP Service on port 3000, probed, limited, non-root',
    (app) => {
      const deploy = find(manifests, 'Deployment', app);
      const pod = deploy.spec.template.spec;
      const [c] = pod.containers;
      expect(c.image).toBe(`ticketing/${app}`);
      expect(c.ports).toContainEqual({ name: 'http', containerPort: 3000 });
      // The path the local gateway probes too (routes.json), so both balance on the same answer.
      expect(c.readinessProbe.httpGet).toEqual({ path: loadReadinessPath(), port: 'http' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.resources.requests).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
      expect(c.resources.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
      expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: 1000 }));
      expect(c.securityContext).toEqual(
        expect.objectContaining({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }),
      );
      // Read-only root filesystem in prod; dev syncs files into the container.
      expect(c.securityContext.readOnlyRootFilesystem).toBe(!overlay.startsWith('dev'));
      expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
      expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);

      const svc = find(manifests, 'Service', app);
      expect(svc.spec.type).toBe('ClusterIP');
      expect(svc.spec.selector).toEqual(deploy.spec.selector.matchLabels);
      expect(svc.spec.ports).toEqual([{ name: 'http', port: 3000, targetPort: 'http' }]);
    },
  );

  it('gives the client a writable Next.js cache directory', () => {
    const [c] = find(manifests, 'Deployment', 'client').spec.template.spec.containers;
    expect(c.volumeMounts).toContainEqual({ name: 'next-cache', mountPath: '/app/client/.next/cache' });
  });

  it.each([...services])(
    'gives %s its own PostgreSQL with a persistent volume and credentials from a Secret',
    (svc) => {
      const sts = find(manifests, 'StatefulSet', `${svc}-db`);
      expect(sts.spec.serviceName).toBe(`${svc}-db`);
      const [c] = sts.spec.template.spec.containers;
      expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
      expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
      // The superuser's password, and the service role's name and password for the init script.
      const secretRefs = c.env.filter((e: Loose) => e.valueFrom?.secretKeyRef).map((e: Loose) => e.name);
      expect(secretRefs.sort()).toEqual(['DB_PASSWORD', 'DB_USER', 'POSTGRES_PASSWORD']);
      expect(find(manifests, 'Service', `${svc}-db`).spec.ports[0].port).toBe(5432);
      expect(sts.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    },
  );

  it.each([...services])(
    'runs the %s database on a pinned PostgreSQL minor version, probed from start-up, with a memory /dev/shm',
    (svc) => {
      const pod = find(manifests, 'StatefulSet', `${svc}-db`).spec.template.spec;
      const [c] = pod.containers;
      expect(c.image).toMatch(/^postgres:17\.\d+(-[a-z]+)?$/);
      expect(c.startupProbe.exec.command.join(' ')).toMatch(/pg_isready/);
      expect(c.livenessProbe.initialDelaySeconds).toBeUndefined();
      const shm = c.volumeMounts.find((m: Loose) => m.mountPath === '/dev/shm');
      expect(pod.volumes.find((v: Loose) => v.name === shm?.name)?.emptyDir?.medium).toBe('Memory');
      const init = c.volumeMounts.find((m: Loose) => m.mountPath === '/docker-entrypoint-initdb.d');
      const initVolume = pod.volumes.find((v: Loose) => v.name === init?.name);
      expect(initVolume.configMap.name).toMatch(/^postgres-init-/);
      // Executable: the entrypoint runs it (a non-executable .sh would be sourced into its own shell).
      expect(initVolume.configMap.defaultMode & 0o111).toBe(0o111);
    },
  );

  it('runs NATS with JetStream on persistent volumes, one node in dev and a 3-node cluster in prod', () => {
    const nats = find(manifests, 'StatefulSet', 'nats');
    const nodes = overlay === 'prod' ? 3 : 1;
    expect(nats.spec.replicas).toBe(nodes);
    expect(nats.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const configName = nats.spec.template.spec.volumes.find((v: Loose) => v.name === 'config').configMap.name;
    const conf: string = find(manifests, 'ConfigMap', configName).data['nats.conf'];
    expect(conf).toMatch(/jetstream\s*{[^}]*store_dir: \/data/);
    if (nodes === 3) {
      const routes = [...conf.matchAll(/nats-route:\/\/(nats-\d)\.nats-headless:6222/g)].map((m) => m[1]);
      expect(routes).toEqual(['nats-0', 'nats-1', 'nats-2']);
      expect(nats.spec.serviceName).toBe('nats-headless');
      expect(find(manifests, 'Service', 'nats-headless').spec.publishNotReadyAddresses).toBe(true);
    } else {
      expect(conf).not.toMatch(/cluster\s*{/);
    }
    const cm = manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('ticketing-config'),
    )!;
    expect(cm.data.NATS_STREAM_REPLICAS).toBe(String(nodes));
    expect(cm.data.NATS_URL).toBe('nats://nats:4222');
  });

  if (overlay === 'prod') {
    it.each([...apps])('runs at least 2 replicas of %s with a PodDisruptionBudget', (app) => {
      const deploy = find(manifests, 'Deployment', app);
      expect(deploy.spec.replicas).toBeGreaterThanOrEqual(2);
      const pdb = find(manifests, 'PodDisruptionBudget', app);
      expect(pdb.spec.selector.matchLabels).toEqual(deploy.spec.selector.matchLabels);
      expect(pdb.spec.minAvailable ?? deploy.spec.replicas - pdb.spec.maxUnavailable).toBeLessThan(
        deploy.spec.replicas,
      );
    });

    it('never schedules two NATS nodes on one host, and caps Go memory below the container limit', () => {
      const pod = find(manifests, 'StatefulSet', 'nats').spec.template.spec;
      expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
        {
          topologyKey: 'kubernetes.io/hostname',
          labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'nats' } },
        },
      ]);
      const c = pod.containers.find((x: Loose) => x.name === 'nats');
      const mib = (q: string) => Number(/^(\d+)Mi(B)?$/.exec(q)![1]);
      const goMemLimit = mib(c.env.find((e: Loose) => e.name === 'GOMEMLIMIT').value);
      const limit = mib(c.resources.limits.memory);
      expect(goMemLimit).toBeLessThan(limit);
      expect(goMemLimit).toBeGreaterThanOrEqual(limit * 0.8);
    });

    it('expects the database credentials to be created by hand, not generated', () => {
      expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
    });
  } else {
    it('runs one replica of each app', () => {
      for (const app of apps) expect(find(manifests, 'Deployment', app).spec.replicas).toBe(1);
    });
  }
});
