/**
 * `@ticketing/common/telemetry`: OpenTelemetry tracing. Import it before anything else in a
 * process (it loads neither http, express nor pg, so their instrumentations can patch them).
 */
export * from './tracing';
export * from './file-exporter';
export * from './context';
