import crypto from 'node:crypto';
import { ConfigError } from '@ticketing/common';
import { createHashGate, type HashLimits } from './hash-gate';

/** scrypt cost parameters. */
export interface ScryptParams {
  /** CPU/memory cost, a power of 2. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** Hashes and verifies passwords with scrypt; every hash records the parameters it was made with. */
export interface PasswordHasher {
  /** A new `scrypt$N$r$p$saltB64$hashB64` string with a random salt and the current parameters. */
  hash(password: string): Promise<string>;
  /** True when `password` matches `stored` (checked with the stored parameters, in constant time). */
  verify(password: string, stored: string): Promise<boolean>;
  /** Spends the time of one verification (for an unknown email, so the answer time does not tell). */
  verifyNothing(password: string): Promise<void>;
  /** True when `stored` was made with other parameters than the current ones. */
  needsRehash(stored: string): boolean;
}

const SALT_BYTES = 16;
const KEY_BYTES = 64;
const STORED_FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** Throws `ConfigError` (naming the variable) unless scrypt accepts `params`. */
export function assertValidScryptParams({ N, r, p }: ScryptParams): void {
  const problems: string[] = [];
  if (!isPowerOfTwo(N)) problems.push(`SCRYPT_N must be a power of 2 greater than 1, got ${N}`);
  // RFC 7914: p ≤ (2^32 − 1) · 32 / (128 · r); OpenSSL enforces r·p < 2^30.
  if (r * p >= 2 ** 30) problems.push(`SCRYPT_R × SCRYPT_P must be below 2^30, got ${r * p}`);
  if (problems.length > 0) throw new ConfigError(problems);
}

/** The default bound: two hashes in flight, a 5-second wait for a turn. */
export const DEFAULT_HASH_LIMITS: HashLimits = { concurrency: 2, queueTimeoutMs: 5000 };

/**
 * Creates the hasher for new hashes with `params` (old hashes keep verifying with their own). At most
 * `limits.concurrency` scrypt calls run at once; one that waits longer than `limits.queueTimeoutMs`
 * rejects with `ServiceUnavailableError` (503 with Retry-After).
 */
export function createPasswordHasher(
  params: ScryptParams,
  limits: HashLimits = DEFAULT_HASH_LIMITS,
): PasswordHasher {
  assertValidScryptParams(params);
  const gate = createHashGate(limits);
  let dummy: Promise<string> | undefined;

  const hash = async (password: string): Promise<string> => {
    const salt = crypto.randomBytes(SALT_BYTES);
    const key = await gate.run(() => scrypt(password, salt, KEY_BYTES, params));
    return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join(
      '$',
    );
  };

  const verify = async (password: string, stored: string): Promise<boolean> => {
    const parsed = parseStored(stored);
    if (!parsed) return false;
    const key = await gate.run(() => scrypt(password, parsed.salt, parsed.key.length, parsed.params));
    return crypto.timingSafeEqual(key, parsed.key);
  };

  return {
    hash,
    verify,
    async verifyNothing(password) {
      // A hash with the current parameters, made once: verifying against it costs what a real check costs.
      if (!dummy) {
        dummy = hash(crypto.randomBytes(16).toString('hex'));
        // A busy gate (503) must not leave a rejected dummy behind for every later call.
        dummy.catch(() => (dummy = undefined));
      }
      await verify(password, await dummy);
    },
    needsRehash(stored) {
      const parsed = parseStored(stored);
      return (
        !parsed ||
        parsed.params.N !== params.N ||
        parsed.params.r !== params.r ||
        parsed.params.p !== params.p
      );
    },
  };
}

function parseStored(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = STORED_FORMAT.exec(stored);
  if (!m) return null;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (!isPowerOfTwo(params.N) || params.r < 1 || params.p < 1) return null;
  const key = Buffer.from(m[5], 'base64');
  return key.length > 0 ? { params, salt: Buffer.from(m[4], 'base64'), key } : null;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 1 && (n & (n - 1)) === 0 && n <= 2 ** 30;
}

/**
 * Memory scrypt needs: 128·r·(N + 2) for V plus 128·r·p for B (OpenSSL's check), plus slack.
 * Node's default `maxmem` (32 MiB) is below what OWASP's N=2^17, r=8 needs (128 MiB), so it is set per call.
 */
function maxmemFor({ N, r, p }: ScryptParams): number {
  return 128 * r * (N + 2 + p) + 1024 * 1024;
}

function scrypt(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    crypto.scrypt(password, salt, keylen, { ...params, maxmem: maxmemFor(params) }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}
