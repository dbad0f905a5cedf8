import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseDockerfile } from '../src/dockerfile';
import type { Loose } from '../src/kustomize';
import { find, render } from '../src/kustomize';
import { apps, k8sDir, repoRoot } from '../src/paths';

interface Artifact {
  image: string;
  context?: string;
  docker?: { dockerfile?: string; target?: string };
  sync?: { manual?: { src: string; dest: string; strip?: string }[]; infer?: string[] };
}
const config = YAML.parse(fs.readFileSync(path.join(repoRoot, 'skaffold.yaml'), 'utf8'));
const profiles: Record<string, Loose> = Object.fromEntries(
  (config.profiles ?? []).map((p: Loose) => [p.name, p]),
);
const builds: [string, Artifact[]][] = [
  ['default', config.build.artifacts],
  ...Object.values(profiles)
    .filter((p) => p.build)
    .map((p): [string, Artifact[]] => [p.name, p.build.artifacts]),
];
const kustomizePaths: [string, string][] = [
  ['default', config.manifests.kustomize.paths],
  ...Object.values(profiles)
    .filter((p) => p.manifests)
    .map((p): [string, string[]] => [p.name, p.manifests.kustomize.paths]),
].flatMap(([name, paths]) => (paths as string[]).map((p): [string, string] => [name as string, p]));

describe('skaffold.yaml', () => {
  it('uses the schema version infra/README.md documents (the one skaffold 2.15 reads)', () => {
    // The README tells which skaffold to install by this version: a newer one needs a newer skaffold.
    const readme = fs.readFileSync(path.join(repoRoot, 'infra', 'README.md'), 'utf8');
    const documented = /`skaffold\.yaml` uses the schema `([^`]+)`/.exec(readme)?.[1];
    expect(documented).toMatch(/^skaffold\/v4beta\d+$/);
    expect(config.apiVersion).toBe(documented);
    expect(config.kind).toBe('Config');
    expect(config.deploy).toEqual({ kubectl: {} });
  });

  it.each(builds)('builds one image per app in the %s build', (_name, artifacts) => {
    expect(artifacts.map((a) => a.image).sort()).toEqual(apps.map((a) => `ticketing/${a}`).sort());
  });

  it.each(builds)(
    'has a Dockerfile with the target stage for every artifact of the %s build',
    (_name, artifacts) => {
      for (const a of artifacts) {
        const context = path.resolve(repoRoot, a.context ?? '.');
        expect(context).toBe(repoRoot);
        const file = path.join(context, a.docker?.dockerfile ?? 'Dockerfile');
        expect([a.image, fs.existsSync(file)]).toEqual([a.image, true]);
        const stages = parseDockerfile(fs.readFileSync(file, 'utf8')).stages.map((s) => s.name);
        if (a.docker?.target) expect(stages).toContain(a.docker.target);
      }
    },
  );

  it("port-forwards Jaeger's UI in dev, to a Service port the dev overlays deploy, and nothing in prod", () => {
    expect(config.portForward).toEqual([
      { resourceType: 'service', resourceName: 'jaeger', port: 16686, localPort: 16686 },
    ]);
    for (const overlay of ['dev', 'dev-ingress-nginx']) {
      const ports = find(render(`overlays/${overlay}`), 'Service', 'jaeger').spec.ports;
      expect(ports.map((p: Loose) => p.port)).toContain(16686);
    }
    expect(profiles.prod.patches).toEqual([{ op: 'remove', path: '/portForward' }]);
  });

  it("syncs each app's sources into the dev image, where its dev stage runs them", () => {
    for (const a of config.build.artifacts as Artifact[]) {
      const app = a.image.split('/')[1]!;
      expect(a.docker?.target).toBe('dev');
      expect(a.sync?.manual).toEqual([
        { src: expect.stringMatching(new RegExp(`^${app}/src/\\*\\*/\\*`)), dest: '/app' },
      ]);
      const dev = parseDockerfile(
        fs.readFileSync(path.join(repoRoot, a.docker!.dockerfile!), 'utf8'),
      ).stages.find((s) => s.name === 'dev')!;
      // The dev stage works in /app (so <app>/src/x.ts lands at /app/<app>/src/x.ts) and runs sources.
      expect(dev.workdir).toBe('/app');
      expect(JSON.stringify(dev.cmd)).toMatch(
        app === 'client' ? /dev/ : new RegExp(`tsx.*watch.*${app}/src/main.ts`),
      );
    }
  });

  it('builds the runtime stage, without sync, in the prod profile', () => {
    for (const a of profiles.prod.build.artifacts as Artifact[]) {
      expect(a.docker?.target).toBe('runtime');
      expect(a.sync).toBeUndefined();
    }
  });

  it.each(kustomizePaths)('deploys kustomize paths that exist (%s: %s)', (_name, p) => {
    expect(fs.existsSync(path.join(repoRoot, p, 'kustomization.yaml'))).toBe(true);
    expect(path.resolve(repoRoot, p).startsWith(k8sDir)).toBe(true);
  });

  it('deploys the dev overlay by default and the prod overlay in the prod profile', () => {
    expect(config.manifests.kustomize.paths).toEqual(['infra/k8s/overlays/dev']);
    expect(profiles.prod.manifests.kustomize.paths).toEqual(['infra/k8s/overlays/prod']);
  });
});
