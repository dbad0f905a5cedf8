import { ConfigError, defineConfig, isRequired, jwtKeySpec, loadConfig, serviceConfigSpec } from '../config';

const spec = defineConfig({
  ...serviceConfigSpec,
  JWT_KEY: { ...jwtKeySpec, doc: 'session key' },
  WINDOW: { doc: 'seconds', type: 'int', default: 900, min: 1 },
  STRIPE_SECRET_KEY: { doc: 'optional', optional: true },
});
const KEY = 'k'.repeat(32);
const env = { DATABASE_URL: 'postgres://u@h/db', NATS_URL: 'nats://h:4222', JWT_KEY: KEY };

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const config = loadConfig(spec, env);
    expect(config).toMatchObject({ PORT: 3000, WINDOW: 900, JWT_KEY: KEY, LOG_LEVEL: 'info' });
    expect(config.STRIPE_SECRET_KEY).toBeUndefined();
  });

  it('names a missing required variable', () => {
    expect(() => loadConfig(spec, { ...env, JWT_KEY: undefined })).toThrow(/JWT_KEY is required/);
  });

  it('treats an empty variable as missing', () => {
    expect(() => loadConfig(spec, { ...env, NATS_URL: '' })).toThrow(/NATS_URL is required/);
  });

  it('names every bad variable at once', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(spec, { ...env, WINDOW: 'soon', PORT: '-1', DATABASE_URL: 'mysql://x' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems).toEqual([
      'PORT must be at least 0, got -1',
      'DATABASE_URL must use postgres: or postgresql:, got mysql:',
      'WINDOW must be an integer, got "soon"',
    ]);
  });

  it('refuses a JWT_KEY shorter than 32 bytes, naming it without echoing the key', () => {
    const attempt = () => loadConfig(spec, { ...env, JWT_KEY: 'short-secret' });

    expect(attempt).toThrow(/JWT_KEY must be at least 32 bytes long/);
    expect(attempt).not.toThrow(/short-secret/);
  });

  it('measures JWT_KEY in bytes, not characters', () => {
    expect(loadConfig(spec, { ...env, JWT_KEY: 'é'.repeat(16) }).JWT_KEY).toBe('é'.repeat(16));
  });

  it('refuses a value outside oneOf, naming the allowed ones', () => {
    const s = defineConfig({ MODE: { doc: 'mode', oneOf: ['a', 'b'], optional: true } });
    expect(loadConfig(s, { MODE: 'b' }).MODE).toBe('b');
    expect(() => loadConfig(s, { MODE: 'c' })).toThrow('MODE must be one of a, b, got "c"');
  });

  it('parses booleans and rejects other words', () => {
    const s = defineConfig({ FLAG: { doc: 'a flag', type: 'boolean', default: false } });
    expect(loadConfig(s, { FLAG: 'yes' }).FLAG).toBe(true);
    expect(() => loadConfig(s, { FLAG: 'maybe' })).toThrow(/FLAG must be true or false/);
  });

  it('counts a variable as required only when it has no default and is not optional', () => {
    expect(isRequired(spec.JWT_KEY)).toBe(true);
    expect(isRequired(spec.WINDOW)).toBe(false);
    expect(isRequired(spec.STRIPE_SECRET_KEY)).toBe(false);
  });
});
