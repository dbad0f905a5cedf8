import { ConfigError, isRequired, loadConfig } from '@ticketing/common';
import { configSpec } from '../config';

const required = {
  DATABASE_URL: 'postgres://localhost/auth',
  NATS_URL: 'nats://localhost:4222',
  JWT_KEY: 'k'.repeat(32),
};

describe('auth config', () => {
  it('defaults scrypt to the OWASP parameters, JWTs to 24 h and the throttle to 10 failures in 15 minutes', () => {
    const config = loadConfig(configSpec, required);

    expect(config).toMatchObject({
      SCRYPT_N: 131_072,
      SCRYPT_R: 8,
      SCRYPT_P: 1,
      JWT_EXPIRES_IN_SECONDS: 86_400,
      SIGNIN_MAX_FAILURES: 10,
      SIGNIN_WINDOW_SECONDS: 900,
    });
  });

  it('requires JWT_KEY and keeps it secret', () => {
    expect(isRequired(configSpec.JWT_KEY)).toBe(true);
    expect(configSpec.JWT_KEY.secret).toBe(true);
    expect(() => loadConfig(configSpec, { ...required, JWT_KEY: undefined })).toThrow(/JWT_KEY is required/);
  });

  it('refuses a JWT_KEY shorter than 32 bytes', () => {
    expect(() => loadConfig(configSpec, { ...required, JWT_KEY: 'k'.repeat(31) })).toThrow(
      /JWT_KEY must be at least 32 bytes long/,
    );
  });

  it('rejects a non-integer scrypt cost', () => {
    expect(() => loadConfig(configSpec, { ...required, SCRYPT_N: 'lots' })).toThrow(ConfigError);
  });
});
