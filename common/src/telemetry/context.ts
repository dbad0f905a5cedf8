/**
 * Trace context helpers used by the HTTP, logging and messaging code. They speak only the
 * OpenTelemetry API: without a started SDK every span is a no-op and these return nothing.
 */
import {
  ROOT_CONTEXT,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The W3C trace context of the active span: `traceparent` (and `tracestate`), or {} outside a trace. */
export function activeTraceContext(ctx: Context = context.active()): {
  traceparent?: string;
  tracestate?: string;
} {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return { traceparent: carrier.traceparent, tracestate: carrier.tracestate };
}

/**
 * A context whose remote parent is the given W3C trace context; the root context (a new trace)
 * when there is none or it does not parse. Never inherits the caller's active span.
 */
export function contextFromTraceparent(traceparent?: string | null, tracestate?: string | null): Context {
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  if (tracestate) carrier.tracestate = tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** The span context a W3C `traceparent` names, if it parses. */
export function spanContextFromTraceparent(
  traceparent?: string | null,
  tracestate?: string | null,
): SpanContext | undefined {
  const sc = trace.getSpanContext(contextFromTraceparent(traceparent, tracestate));
  return sc && isSpanContextValid(sc) ? sc : undefined;
}

/** The active span's ids, for log lines: `{ trace_id, span_id }`, or {} outside a trace. */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const sc = trace.getActiveSpan()?.spanContext();
  if (!sc || !isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

/**
 * The W3C Trace Context Level 2 `traceresponse` value of the active span
 * (`00-<trace-id>-<span-id>-<flags>`), or undefined outside a trace.
 */
export function activeTraceresponse(): string | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc ? traceresponseOf(sc) : undefined;
}

const w3c = new W3CTraceContextPropagator();
type HeaderCarrier = Record<string, string | string[] | number | undefined>;

/**
 * The trace context in W3C `traceparent`/`tracestate` request headers (the root context when
 * absent), read without the global propagator: for a process that makes its spans itself (the gateway).
 */
export function extractW3CHeaders(headers: HeaderCarrier): Context {
  return w3c.extract(ROOT_CONTEXT, headers, {
    keys: (c) => Object.keys(c),
    get: (c, key) => {
      const v = c[key];
      return typeof v === 'number' ? String(v) : v;
    },
  });
}

/** The `traceresponse` value naming a span, or undefined for a span that is not recording a real trace. */
export function traceresponseOf(sc: SpanContext): string | undefined {
  if (!isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags.toString(16).padStart(2, '0')}`;
}
