import fs from 'node:fs';
import path from 'node:path';
import { baseName, findGenerated, type Loose, type Manifest } from './kustomize';
import { infraDir } from './paths';

/** Where a container's variable comes from. */
export type EnvSource =
  | { from: 'value'; value: string }
  | { from: 'field'; fieldPath: string }
  | { from: 'configMap'; name: string; key: string; optional: boolean }
  | { from: 'secret'; name: string; key: string; optional: boolean };

/** A reference from a workload to a key (or, with key undefined, all keys) of a ConfigMap or Secret. */
export interface Reference {
  workload: string;
  kind: 'ConfigMap' | 'Secret';
  name: string;
  key?: string;
  optional: boolean;
}

/** The pod template's containers of a Deployment or StatefulSet. */
export function containersOf(workload: Manifest): Loose[] {
  return workload.spec.template.spec.containers;
}

/**
 * Every variable the first container of `workload` gets, and from where: `env` entries win over
 * `envFrom` (as in Kubernetes). envFrom's ConfigMaps are read from the rendered manifests.
 */
export function containerEnv(manifests: Manifest[], workload: Manifest): Map<string, EnvSource> {
  const c = containersOf(workload)[0];
  const out = new Map<string, EnvSource>();
  for (const ef of c.envFrom ?? []) {
    if (ef.configMapRef) {
      const cm = findGenerated(manifests, 'ConfigMap', baseName(ef.configMapRef.name));
      for (const key of Object.keys(cm?.data ?? {})) {
        out.set((ef.prefix ?? '') + key, {
          from: 'configMap',
          name: ef.configMapRef.name,
          key,
          optional: !!ef.configMapRef.optional,
        });
      }
    }
    if (ef.secretRef) {
      const s = findGenerated(manifests, 'Secret', baseName(ef.secretRef.name));
      for (const key of Object.keys({ ...s?.data, ...s?.stringData })) {
        out.set((ef.prefix ?? '') + key, {
          from: 'secret',
          name: ef.secretRef.name,
          key,
          optional: !!ef.secretRef.optional,
        });
      }
    }
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) out.set(e.name, { from: 'value', value: String(e.value) });
    else if (e.valueFrom?.fieldRef)
      out.set(e.name, { from: 'field', fieldPath: e.valueFrom.fieldRef.fieldPath });
    else if (e.valueFrom?.secretKeyRef) {
      const r = e.valueFrom.secretKeyRef;
      out.set(e.name, { from: 'secret', name: r.name, key: r.key, optional: !!r.optional });
    } else if (e.valueFrom?.configMapKeyRef) {
      const r = e.valueFrom.configMapKeyRef;
      out.set(e.name, { from: 'configMap', name: r.name, key: r.key, optional: !!r.optional });
    } else throw new Error(`${workload.metadata.name}: env ${e.name} has a source this check does not know`);
  }
  return out;
}

/** Every ConfigMap and Secret reference of every workload (env, envFrom, volumes). */
export function references(manifests: Manifest[]): Reference[] {
  const out: Reference[] = [];
  for (const w of manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet')) {
    const workload = `${w.kind}/${w.metadata.name}`;
    const spec = w.spec.template.spec;
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      for (const ef of c.envFrom ?? []) {
        if (ef.configMapRef)
          out.push({
            workload,
            kind: 'ConfigMap',
            name: ef.configMapRef.name,
            optional: !!ef.configMapRef.optional,
          });
        if (ef.secretRef)
          out.push({ workload, kind: 'Secret', name: ef.secretRef.name, optional: !!ef.secretRef.optional });
      }
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef;
        if (s) out.push({ workload, kind: 'Secret', name: s.name, key: s.key, optional: !!s.optional });
        const cm = e.valueFrom?.configMapKeyRef;
        if (cm)
          out.push({ workload, kind: 'ConfigMap', name: cm.name, key: cm.key, optional: !!cm.optional });
      }
    }
    for (const v of spec.volumes ?? []) {
      if (v.configMap)
        out.push({ workload, kind: 'ConfigMap', name: v.configMap.name, optional: !!v.configMap.optional });
      if (v.secret)
        out.push({ workload, kind: 'Secret', name: v.secret.secretName, optional: !!v.secret.optional });
    }
  }
  return out;
}

/**
 * The Secrets an operator creates by hand, from infra/README.md's "Secrets to create" table: rows
 * like | `jwt-secret` | `JWT_KEY` | ... |, several keys in the second cell allowed.
 */
export function documentedSecrets(readme = path.join(infraDir, 'README.md')): Map<string, Set<string>> {
  const text = fs.readFileSync(readme, 'utf8');
  const section = text.split(/^#+ Secrets to create\s*$/m)[1]?.split(/^#+ /m)[0];
  if (!section) throw new Error('infra/README.md has no "Secrets to create" section');
  const out = new Map<string, Set<string>>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4) continue;
    const names = [...cells[1]!.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]!);
    const keys = [...cells[2]!.matchAll(/`([A-Za-z0-9_]+)`/g)].map((m) => m[1]!);
    for (const n of names) {
      const set = out.get(n) ?? new Set<string>();
      keys.forEach((k) => set.add(k));
      out.set(n, set);
    }
  }
  return out;
}
