/**
 * Typed, validated configuration. A service declares its variables once (`ConfigSpec`); `loadConfig`
 * is the only reader of the environment, and a missing or bad variable stops start-up with a line
 * that names it.
 */

/** One variable: its documentation, type, default, and whether it may be absent. */
export interface VariableSpec {
  /** What the variable is for (shown in errors and docs). */
  doc: string;
  type?: 'string' | 'int' | 'number' | 'boolean' | 'url';
  /** Used when the variable is unset or empty; a variable with a default is not required. */
  default?: string | number | boolean;
  /** The variable may be absent (its value is then `undefined`). */
  optional?: boolean;
  /** Never logged. */
  secret?: boolean;
  /** Lower bound for int/number. */
  min?: number;
  /** For url: allowed protocols, e.g. ['postgres:', 'postgresql:']. */
  protocols?: string[];
  /** For string: the only values allowed. */
  oneOf?: readonly string[];
  /** For string: the fewest UTF-8 bytes allowed (the value itself is never echoed: it may be a secret). */
  minBytes?: number;
}

/** Maps variable names to their specs. */
export type ConfigSpec = Record<string, VariableSpec>;

type ValueOf<V extends VariableSpec> = V['type'] extends 'int' | 'number'
  ? number
  : V['type'] extends 'boolean'
    ? boolean
    : string;

/** The typed configuration object a spec describes. */
export type ConfigOf<S extends ConfigSpec> = {
  readonly [K in keyof S]: S[K] extends { default: unknown }
    ? ValueOf<S[K]>
    : S[K] extends { optional: true }
      ? ValueOf<S[K]> | undefined
      : ValueOf<S[K]>;
};

/** Thrown by `loadConfig`; its message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Declares a spec with its literal types kept, so `ConfigOf` can infer the config's shape. */
export function defineConfig<S extends ConfigSpec>(spec: S): S {
  return spec;
}

/** True when the variable must be set: it has no default and is not optional. */
export function isRequired(spec: VariableSpec): boolean {
  return spec.default === undefined && !spec.optional;
}

/** Reads and validates every variable of `spec` from `env`; throws `ConfigError` naming each problem. */
export function loadConfig<S extends ConfigSpec>(
  spec: S,
  env: Record<string, string | undefined> = process.env,
): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (v.default !== undefined) out[name] = v.default;
      else if (v.optional) out[name] = undefined;
      else problems.push(`${name} is required (${v.doc})`);
      continue;
    }
    const parsed = parseValue(name, raw, v);
    if ('problem' in parsed) problems.push(parsed.problem);
    else out[name] = parsed.value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

function parseValue(name: string, raw: string, v: VariableSpec): { value: unknown } | { problem: string } {
  switch (v.type ?? 'string') {
    case 'int':
    case 'number': {
      const n = Number(raw);
      const ok = v.type === 'int' ? Number.isInteger(n) : Number.isFinite(n);
      if (!ok)
        return { problem: `${name} must be ${v.type === 'int' ? 'an integer' : 'a number'}, got "${raw}"` };
      if (v.min !== undefined && n < v.min) return { problem: `${name} must be at least ${v.min}, got ${n}` };
      return { value: n };
    }
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw)) return { value: true };
      if (/^(false|0|no)$/i.test(raw)) return { value: false };
      return { problem: `${name} must be true or false, got "${raw}"` };
    case 'url': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return { problem: `${name} must be a URL` };
      }
      if (v.protocols && !v.protocols.includes(url.protocol)) {
        return { problem: `${name} must use ${v.protocols.join(' or ')}, got ${url.protocol}` };
      }
      return { value: raw };
    }
    default:
      if (v.oneOf && !v.oneOf.includes(raw)) {
        const got = v.secret ? '' : `, got "${raw}"`;
        return { problem: `${name} must be one of ${v.oneOf.join(', ')}${got}` };
      }
      if (v.minBytes !== undefined && Buffer.byteLength(raw, 'utf8') < v.minBytes) {
        return { problem: `${name} must be at least ${v.minBytes} bytes long` };
      }
      return { value: raw };
  }
}

/** The variables every service reads; a service spreads this into its own spec. */
export const serviceConfigSpec = defineConfig({
  PORT: { doc: 'HTTP port to listen on', type: 'int', default: 3000, min: 0 },
  DATABASE_URL: {
    doc: "PostgreSQL URL of this service's own database",
    type: 'url',
    protocols: ['postgres:', 'postgresql:'],
    secret: true,
  },
  DATABASE_CONNECT_TIMEOUT_MS: {
    doc: 'Longest wait for a database connection before the request gets 503 (or the event is retried)',
    type: 'int',
    default: 5000,
    min: 1,
  },
  DATABASE_STATEMENT_TIMEOUT_MS: {
    doc: 'Longest a database statement may run (server-side statement_timeout; the client gives up 1 s later) before 503',
    type: 'int',
    default: 10000,
    min: 1,
  },
  DATABASE_POOL_MAX: {
    doc: "Most connections one process opens to its database; by default its consumers' concurrency summed, plus 4 for the outbox relay, plus 10 for HTTP and background work. A deployment budgets replicas (plus a rolling update's surge) times this below the database's max_connections",
    type: 'int',
    optional: true,
    min: 1,
  },
  NATS_URL: { doc: 'NATS server URL(s), comma-separated', type: 'string' },
  NATS_CLIENT_NAME: { doc: 'Name this process gives NATS (the pod name in Kubernetes)', optional: true },
  NATS_USER: {
    doc: "This service's NATS user (its name); without one it connects anonymously, which servers with the generated authorization refuse",
    optional: true,
  },
  NATS_PASSWORD: { doc: "The NATS user's password", optional: true, secret: true },
  NATS_CA_FILE: {
    doc: "PEM file of the CA of NATS' certificate: when set, the connection requires TLS",
    optional: true,
  },
  LOG_LEVEL: { doc: 'pino log level', default: 'info' },
  LOG_LINE_PREFIX: {
    doc: 'Text written before every log line (`npm start` sets `[<process>] ` so a line says whose it is)',
    optional: true,
  },
  METRICS_POLL_INTERVAL_MS: {
    doc: "How often /metrics' outbox backlog and JetStream consumer gauges are refreshed",
    type: 'int',
    default: 10000,
    min: 100,
  },
  SHUTDOWN_TIMEOUT_MS: {
    doc: 'Longest graceful shutdown before a forced exit',
    type: 'int',
    default: 10000,
    min: 100,
  },
  SHUTDOWN_DRAIN_MS: {
    doc: "After SIGTERM, how long the service keeps serving with /readyz answering 503 before it closes its listener, so a load balancer that probes readiness stops sending to it first (0 in Kubernetes, whose preStop sleep does this; the local gateway's replicas get it set). Counts within SHUTDOWN_TIMEOUT_MS",
    type: 'int',
    default: 0,
    min: 0,
  },
  CONSUMER_CONCURRENCY: {
    doc: 'Messages each event consumer handles at once per process, over what the service declares: a number for all (e.g. 8), <consumer>=<number> for one (e.g. order.created=8), or both comma-separated; events about one record are still handled one at a time',
    optional: true,
  },
  OUTBOX_RETENTION_HOURS: {
    doc: 'How long published events stay in the outbox as an audit trail (and for republishing)',
    type: 'number',
    default: 168,
    min: 0,
  },
  INBOX_RETENTION_HOURS: {
    doc: "How long a consumer remembers an applied event (0 = forever); longer than the producers' OUTBOX_RETENTION_HOURS, so a republished event is still recognised",
    type: 'number',
    default: 720,
    min: 0,
  },
  // Tracing is started before the config is loaded (its instrumentations must patch http, express
  // and pg as they load, see src/tracing.ts of each service); these are listed to be documented and
  // validated at start like every other setting.
  OTEL_SDK_DISABLED: {
    doc: 'true: no tracing at all (no spans, no traceresponse)',
    type: 'boolean',
    optional: true,
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    doc: 'OTLP/HTTP collector the spans are sent to (e.g. http://otel-collector:4318); wins over TRACES_DIR',
    type: 'url',
    optional: true,
  },
  TRACES_DIR: {
    doc: 'Without an OTLP endpoint: write spans as OTLP/JSON lines to <TRACES_DIR>/<service>.jsonl (npm start sets <DATA_DIR>/traces)',
    optional: true,
  },
  TRACES_FILE_MAX_BYTES: {
    doc: 'Size past which a trace file is rotated to <file>.1 (one kept)',
    type: 'int',
    default: 10485760,
    min: 1,
  },
});

/**
 * The setting of every service with `Idempotency-Key` routes: spread it into the service's spec.
 * `runService` runs the janitor of expired keys for each service whose config has it.
 */
export const idempotencyConfigSpec = defineConfig({
  IDEMPOTENCY_KEY_RETENTION_HOURS: {
    doc: 'How long an Idempotency-Key and its stored answer are remembered (a repeat within it is replayed; after it the key runs anew)',
    type: 'number',
    default: 24,
    min: 0.01,
  },
});

/**
 * JWT_KEY, for every service that signs or verifies sessions: `{ ...jwtKeySpec, doc }` in its spec.
 * HS256 with a key shorter than its 32-byte output can be brute-forced offline from one token
 * (RFC 7518 §3.2 requires at least 256 bits).
 */
export const jwtKeySpec = {
  doc: 'HS256 key of session JWTs, at least 32 bytes (e.g. `openssl rand -hex 32`)',
  secret: true,
  minBytes: 32,
} as const satisfies VariableSpec;

/** The typed common part of every service's configuration. */
export type ServiceConfig = ConfigOf<typeof serviceConfigSpec>;
