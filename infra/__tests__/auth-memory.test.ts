import path from 'node:path';
import { containerEnv, containersOf } from '../src/env';
import { find, findGenerated, render, type Manifest } from '../src/kustomize';
import { overlays, repoRoot } from '../src/paths';

/** auth's own formula (auth/src/domain/memory-budget.ts) and config spec, loaded as the other checks load specs. */
const { requiredMemoryLimitMi } = require(path.join(repoRoot, 'auth/src/domain/memory-budget.ts')) as {
  requiredMemoryLimitMi(params: { N: number; r: number; p: number }, hashConcurrency: number): number;
};
const { configSpec } = require(path.join(repoRoot, 'auth/src/config.ts')) as {
  configSpec: Record<string, { default?: unknown }>;
};

/** The value auth gets for `name` in the rendered `manifests`: set in the Deployment, its ConfigMap, or the spec's default. */
function authSetting(manifests: Manifest[], name: string): number {
  const source = containerEnv(manifests, find(manifests, 'Deployment', 'auth')).get(name);
  if (source?.from === 'value') return Number(source.value);
  if (source?.from === 'configMap')
    return Number(findGenerated(manifests, 'ConfigMap', source.name)!.data[source.key]);
  if (source) throw new Error(`auth's ${name} comes from a ${source.from}: this check cannot read it`);
  return Number(configSpec[name]!.default);
}

/** A Kubernetes memory quantity in Mi (Mi and Gi only: what these manifests use). */
function toMi(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`memory quantity ${quantity} is not in Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

function required(manifests: Manifest[]): number {
  const params = {
    N: authSetting(manifests, 'SCRYPT_N'),
    r: authSetting(manifests, 'SCRYPT_R'),
    p: authSetting(manifests, 'SCRYPT_P'),
  };
  return requiredMemoryLimitMi(params, authSetting(manifests, 'HASH_CONCURRENCY'));
}

function memoryLimit(manifests: Manifest[]): string {
  return containersOf(find(manifests, 'Deployment', 'auth'))[0].resources.limits.memory;
}

describe("auth's memory limit", () => {
  it('in the base is exactly what auth computes from its SCRYPT_N and HASH_CONCURRENCY', () => {
    const base = render('base');

    expect(memoryLimit(base)).toBe(`${required(base)}Mi`);
  });

  it.each([...overlays])('in overlay %s covers what auth computes from its settings there', (overlay) => {
    const manifests = render(`overlays/${overlay}`);

    expect(toMi(memoryLimit(manifests))).toBeGreaterThanOrEqual(required(manifests));
  });
});
