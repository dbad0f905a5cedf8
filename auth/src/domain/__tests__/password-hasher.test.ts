import { ConfigError, ServiceUnavailableError } from '@ticketing/common';
import { createPasswordHasher } from '../password-hasher';

const fast = createPasswordHasher({ N: 1024, r: 8, p: 1 });

describe('createPasswordHasher', () => {
  it('verifies the password a hash was made from', async () => {
    const stored = await fast.hash('s3cret-password');

    expect(await fast.verify('s3cret-password', stored)).toBe(true);
  });

  it('rejects another password', async () => {
    const stored = await fast.hash('s3cret-password');

    expect(await fast.verify('s3cret-passwore', stored)).toBe(false);
  });

  it('records N, r and p, a 16-byte salt and a 64-byte key in the hash', async () => {
    const stored = await fast.hash('s3cret-password');

    const [scheme, N, r, p, salt, key] = stored.split('$');
    expect([scheme, N, r, p]).toEqual(['scrypt', '1024', '8', '1']);
    expect(Buffer.from(salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(key, 'base64')).toHaveLength(64);
  });

  it('verifies a hash made with other parameters using the parameters stored in it', async () => {
    const old = await createPasswordHasher({ N: 2048, r: 4, p: 2 }).hash('s3cret-password');

    expect(await fast.verify('s3cret-password', old)).toBe(true);
    expect(fast.needsRehash(old)).toBe(true);
  });

  it('does not ask to rehash a hash made with the current parameters', async () => {
    expect(fast.needsRehash(await fast.hash('s3cret-password'))).toBe(false);
  });

  it('treats a malformed stored hash as a mismatch', async () => {
    expect(await fast.verify('s3cret-password', 'plaintext')).toBe(false);
    expect(await fast.verify('s3cret-password', 'scrypt$1000$8$1$c2FsdA==$a2V5')).toBe(false);
  });

  it('works with the OWASP production default N=2^17, r=8, p=1 (above Node’s default maxmem)', async () => {
    const owasp = createPasswordHasher({ N: 2 ** 17, r: 8, p: 1 });

    const stored = await owasp.hash('s3cret-password');

    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await owasp.verify('s3cret-password', stored)).toBe(true);
  });

  it('refuses with 503 a hash that gets no turn within the queue timeout', async () => {
    const oneAtATime = createPasswordHasher(
      { N: 2 ** 14, r: 8, p: 1 },
      { concurrency: 1, queueTimeoutMs: 1 },
    );

    const results = await Promise.allSettled([
      oneAtATime.hash('first-password'),
      oneAtATime.hash('second-one'),
    ]);

    expect(results[0].status).toBe('fulfilled');
    expect(results[1]).toEqual({ status: 'rejected', reason: expect.any(ServiceUnavailableError) });
  });

  it('refuses an N that is not a power of 2, naming SCRYPT_N', () => {
    expect(() => createPasswordHasher({ N: 1000, r: 8, p: 1 })).toThrow(ConfigError);
    expect(() => createPasswordHasher({ N: 1000, r: 8, p: 1 })).toThrow(/SCRYPT_N/);
  });
});
