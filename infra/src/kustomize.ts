import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { k8sDir, repoRoot } from './paths';

/** Rendered YAML, read structurally by the checks (the schemas are checked by src/validate.ts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

/** A rendered Kubernetes object (loosely typed: tests read what they need). */
export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: Loose };
  [k: string]: Loose;
};

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, bin);
    if (dir && fs.existsSync(file)) return file;
  }
  return undefined;
}

/**
 * The kustomize to render with: KUSTOMIZE_BIN, else the kubectl that scripts/ensure-test-tools.mjs
 * installs into .tools/bin when the machine's is missing or too old, else a `kustomize` binary,
 * else `kubectl kustomize` (kubectl embeds kustomize v5). All render offline.
 */
export function kustomizeCommand(): { bin: string; args: string[] } {
  const kustomize = process.env.KUSTOMIZE_BIN;
  if (kustomize) return { bin: kustomize, args: ['build'] };
  const local = path.join(repoRoot, '.tools', 'bin', 'kubectl');
  if (fs.existsSync(local)) return { bin: local, args: ['kustomize'] };
  const onPathKustomize = onPath('kustomize');
  if (onPathKustomize) return { bin: onPathKustomize, args: ['build'] };
  const kubectl = onPath('kubectl');
  if (kubectl) return { bin: kubectl, args: ['kustomize'] };
  throw new Error(
    'Neither kustomize nor kubectl is installed: install one (infra/README.md) to render the manifests',
  );
}

const cache = new Map<string, Manifest[]>();

/** Renders a kustomization directory (relative to infra/k8s, e.g. `overlays/dev`) to its objects. */
export function render(dir: string): Manifest[] {
  const cached = cache.get(dir);
  if (cached) return cached;
  const { bin, args } = kustomizeCommand();
  const out = execFileSync(bin, [...args, path.join(k8sDir, dir)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const docs = YAML.parseAllDocuments(out)
    .map((d) => {
      if (d.errors.length) throw d.errors[0];
      return d.toJSON() as Manifest;
    })
    .filter((m) => m != null);
  cache.set(dir, docs);
  return docs;
}

/** The one object of a kind and name in a rendered list (throws when missing). */
export function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is not in the rendered manifests`);
  return found;
}

/** Generated ConfigMaps and Secrets carry a hash suffix; this finds one by its base name. */
export function findGenerated(
  manifests: Manifest[],
  kind: 'ConfigMap' | 'Secret',
  name: string,
): Manifest | undefined {
  return manifests.find(
    (m) => m.kind === kind && (m.metadata.name === name || baseName(m.metadata.name) === name),
  );
}

/** `ticketing-config-ct9tdh8gkg` → `ticketing-config` (kustomize's name suffix is 10 characters). */
export function baseName(name: string): string {
  return name.replace(/-[a-z0-9]{10}$/, '');
}
