/**
 * Next.js runs `register` once when the server starts. Tracing (OpenTelemetry, set up as in every
 * service: `@ticketing/common/telemetry`) is for the Node.js server only; Next's own spans
 * (incoming request, rendering, fetch) then go where the services' go, and the incoming
 * `traceparent` the gateway sends is continued.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') await import('./instrumentation-node');
}
