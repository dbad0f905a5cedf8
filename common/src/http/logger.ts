import pino from 'pino';
import { activeTraceIds } from '../telemetry/context';

/** The structured logger every service and `common` module takes as a dependency. */
export type Logger = pino.Logger;

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Service name, added to every line as `service`. */
  service: string;
  /** Minimum level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'. */
  level?: string;
  /** Where lines go; stdout when omitted (tests pass a stream to capture lines). */
  destination?: pino.DestinationStream;
}

// Secrets must never reach a log line, whatever a caller passes as fields.
const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'headers.cookie',
  'headers.authorization',
  'password',
  'jwt',
  'token',
  '*.password',
  '*.jwt',
  '*.token',
];

/**
 * Creates a JSON pino logger with `service`, ISO timestamps and secret redaction; a line written
 * inside a trace carries `trace_id` and `span_id`.
 */
export function createLogger({ service, level = 'info', destination }: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Level as a word ("error") rather than a number, easier to read and query.
    formatters: { level: (label) => ({ level: label }) },
    // A line written inside a trace names it, so a log line leads to its spans and back.
    mixin: activeTraceIds,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
