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
  /**
   * Written before every line (e.g. `[tickets] `): `npm start` lets each service write to the
   * terminal itself rather than relaying every line through its own process, and the prefix says
   * whose line it is. Ignored with `destination`.
   */
  linePrefix?: string;
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
export function createLogger({ service, level = 'info', destination, linePrefix }: LoggerOptions): Logger {
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
  if (destination) return pino(options, destination);
  if (!linePrefix) return pino(options);
  // pino's own stdout stream (asynchronous, flushed on exit), each line prefixed on its way in.
  const stdout = pino.destination({ dest: process.stdout.fd || 1, sync: false });
  return pino(options, {
    write: (line: string) => stdout.write(linePrefix + line),
    flush: () => stdout.flush(),
  } as pino.DestinationStream);
}

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
