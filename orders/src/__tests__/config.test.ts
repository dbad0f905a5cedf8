import { ConfigError, isRequired, loadConfig } from '@ticketing/common';
import { configSpec } from '../config';

const required = {
  DATABASE_URL: 'postgres://localhost/orders',
  NATS_URL: 'nats://localhost:4222',
  JWT_KEY: 'k'.repeat(32),
};

describe('orders config', () => {
  it('reserves tickets for 900 seconds by default', () => {
    expect(loadConfig(configSpec, required).EXPIRATION_WINDOW_SECONDS).toBe(900);
  });

  it('reads EXPIRATION_WINDOW_SECONDS as an integer', () => {
    expect(
      loadConfig(configSpec, { ...required, EXPIRATION_WINDOW_SECONDS: '60' }).EXPIRATION_WINDOW_SECONDS,
    ).toBe(60);
  });

  it('rejects an EXPIRATION_WINDOW_SECONDS below 1', () => {
    expect(() => loadConfig(configSpec, { ...required, EXPIRATION_WINDOW_SECONDS: '0' })).toThrow(
      /EXPIRATION_WINDOW_SECONDS must be at least 1/,
    );
  });

  it('rejects a non-integer EXPIRATION_WINDOW_SECONDS', () => {
    expect(() => loadConfig(configSpec, { ...required, EXPIRATION_WINDOW_SECONDS: '1.5' })).toThrow(
      ConfigError,
    );
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
});
