import { context, propagation } from '@opentelemetry/api';

/**
 * The W3C `traceparent`/`tracestate` of the span rendering this page, for the API calls it makes:
 * Next traces its fetches but does not send their context on, so the gateway would start a new trace.
 */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}
