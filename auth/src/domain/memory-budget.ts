import type { ScryptParams } from './password-hasher';

const MiB = 1024 * 1024;

/**
 * What auth holds besides the hashes: V8 heap, code, pg pool, NATS client, OpenTelemetry's SDK and
 * instrumentations. Measured by src/__tests__/hash-load.test.ts, which runs main under tsx: the
 * SDK's modules cost ~20 MiB in plain node but ~140 MiB more under tsx, so there the process sits at
 * ~280 MiB VmRSS after ten hashes and peaks at ~530-550 MiB with two 128 MiB hashes in flight
 * (without tracing: ~135 and ~395). 208 MiB keeps that measurement inside the limit it derives.
 */
export const BASE_RSS_BYTES = 208 * MiB;

/** What one scrypt call allocates: V is 128·r·N bytes, B is 128·r·p (RFC 7914), plus OpenSSL's XY. */
export function scryptBytes({ N, r, p }: ScryptParams): number {
  return 128 * r * (N + p + 2);
}

/**
 * The container memory limit auth needs, in Mi: base RSS plus every hash that may be in flight,
 * plus a quarter for the allocator keeping freed pages and bursts of requests, rounded up to 32 Mi.
 * infra/k8s/base/auth.yaml's limit must equal it for the SCRYPT_N and HASH_CONCURRENCY it sets
 * (infra's test checks), so raising either means raising the limit.
 */
export function requiredMemoryLimitMi(params: ScryptParams, hashConcurrency: number): number {
  const bytes = (BASE_RSS_BYTES + hashConcurrency * scryptBytes(params)) * 1.25;
  return Math.ceil(bytes / MiB / 32) * 32;
}
