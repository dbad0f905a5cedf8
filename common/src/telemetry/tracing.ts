/**
 * Starts OpenTelemetry tracing in a process. A service's `src/tracing.ts` calls `startTracing`
 * and `main.ts` imports that file first: the http, express and pg instrumentations patch those
 * modules as they load, so they must be registered before anything requires them. This module
 * therefore imports none of them itself.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  SimpleSpanProcessor,
  TracerProvider,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { FileSpanExporter } from './file-exporter';

/** Options of `startTracing`. */
export interface TracingOptions {
  /** `service.name` of every span. */
  service: string;
  /**
   * Read for: OTEL_SDK_DISABLED (`true`: no tracing at all), OTEL_EXPORTER_OTLP_ENDPOINT or
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (OTLP/HTTP export, the exporter's own OTEL_* settings apply),
   * else TRACES_DIR (OTLP/JSON lines in `<TRACES_DIR>/<service>.jsonl`, rotated past
   * TRACES_FILE_MAX_BYTES). With none of them, spans are made (trace ids reach responses and logs)
   * but not kept. OTEL_NODE_DISABLED_INSTRUMENTATIONS (`http,express,pg`) leaves those unpatched.
   */
  env?: Record<string, string | undefined>;
  /** Export here instead of what `env` says (tests: an `InMemorySpanExporter`). */
  exporter?: SpanExporter;
  /** Patch http, express and pg (default true); false for a process that makes its spans itself. */
  instrument?: boolean;
}

/** A started tracer provider. */
export interface Tracing {
  provider: TracerProvider;
  /** Where spans go: 'otlp', 'file', 'custom' or 'none'. */
  destination: 'otlp' | 'file' | 'custom' | 'none';
  /** Exports every finished span now. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let started: Tracing | undefined;

/** Probes and scrapes are not requests anybody wants to trace. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** A request target without its query string (every request asks: no array made for it). */
const pathOf = (url: string) => {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
};

/** The pg instrumentation's span names of transaction control statements (`pg.query:BEGIN <db>`). */
const TRANSACTION_CONTROL = ['pg.query:BEGIN', 'pg.query:COMMIT', 'pg.query:ROLLBACK'];

const PG_QUERY = 'pg.query:';

const isTransactionControl = (spanName: string) =>
  // A span that is not a query (server, route, publish, process) is settled by this one check.
  spanName.startsWith(PG_QUERY) &&
  TRANSACTION_CONTROL.some(
    (prefix) =>
      spanName.startsWith(prefix) && (spanName.length === prefix.length || spanName[prefix.length] === ' '),
  );

/**
 * Records every span but the pg instrumentation's BEGIN, COMMIT and ROLLBACK: two or three more
 * spans per transaction, which the queries between them already frame, are a cost the load test
 * measures (bench/tracing.ts) for nothing a reader of the trace needs. It runs for every span of
 * every request, hence prefix checks rather than a regular expression.
 */
const skipTransactionControl: Sampler = {
  shouldSample: (_ctx, _traceId, spanName) => ({
    decision: isTransactionControl(spanName)
      ? SamplingDecision.NOT_RECORD
      : SamplingDecision.RECORD_AND_SAMPLED,
  }),
  toString: () => 'SkipTransactionControl',
};

/** A tracer provider for `service` that exports where `env` says (not registered globally). */
export function createTracerProvider(options: TracingOptions): Tracing {
  const env = options.env ?? process.env;
  const { exporter, destination } = chooseExporter(options.service, env, options.exporter);
  const processors: SpanProcessor[] = [];
  if (exporter) {
    processors.push(
      destination === 'custom'
        ? new SimpleSpanProcessor({ exporter })
        : new BatchSpanProcessor({
            exporter,
            // A local file is cheap to append to: write every second, so `npm run trace` sees a
            // purchase at once.
            scheduledDelayMillis: destination === 'file' ? 1_000 : 5_000,
            maxQueueSize: 8192,
            maxExportBatchSize: 512,
          }),
    );
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service }),
    spanProcessors: processors,
    // A caller's "not sampled" is respected, as by default; within a trace, see skipTransactionControl.
    sampler: new ParentBasedSampler({
      root: skipTransactionControl,
      remoteParentSampled: skipTransactionControl,
      localParentSampled: skipTransactionControl,
    }),
  });
  return {
    provider,
    destination,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * Registers tracing for this process (once; later calls return the first): W3C trace context
 * propagation, async context, the http/express/pg instrumentations and the exporter `env` names.
 * Returns undefined when OTEL_SDK_DISABLED is `true`.
 */
export function startTracing(options: TracingOptions): Tracing | undefined {
  if (started) return started;
  const env = options.env ?? process.env;
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return undefined;
  let tracing: Tracing;
  try {
    tracing = createTracerProvider(options);
  } catch (err) {
    // A bad trace setting: say so and go on untraced; a service's config check then names the
    // variable and stops the start, like any other bad setting (serviceConfigSpec).
    process.stderr.write(`${options.service}: tracing off: ${(err as Error).message}\n`);
    return undefined;
  }
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracing.provider);
  if (options.instrument !== false) {
    // OTEL_NODE_DISABLED_INSTRUMENTATIONS, as in OpenTelemetry's auto-instrumentations: e.g. `pg`.
    const disabled = new Set(
      (env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    registerInstrumentations({
      tracerProvider: tracing.provider,
      instrumentations: [
        disabled.has('http')
          ? []
          : new HttpInstrumentation({
              ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has(pathOf(req.url ?? '')),
              // Outgoing calls are traced only inside a trace (a provider API call made by a route).
              requireParentforOutgoingSpans: true,
            }),
        // Route handlers only: a span per middleware would bury the route in noise.
        disabled.has('express')
          ? []
          : new ExpressInstrumentation({
              ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER],
            }),
        // Only queries inside a trace: the relay's and janitors' polling would otherwise make a trace
        // each. Pool checkouts are not spans: two per transaction that say nothing a query does not.
        disabled.has('pg')
          ? []
          : new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
      ],
    });
  }
  started = tracing;
  return tracing;
}

/** Exports the spans of this process's tracing now (before exit); nothing when none was started. */
export async function flushTracing(): Promise<void> {
  await started?.flush().catch(() => undefined);
}

function chooseExporter(
  service: string,
  env: Record<string, string | undefined>,
  custom?: SpanExporter,
): { exporter?: SpanExporter; destination: Tracing['destination'] } {
  if (custom) return { exporter: custom, destination: 'custom' };
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    return { exporter: new OTLPTraceExporter(), destination: 'otlp' };
  }
  if (env.TRACES_DIR) {
    const maxBytes = env.TRACES_FILE_MAX_BYTES ? Number(env.TRACES_FILE_MAX_BYTES) : undefined;
    if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0)) {
      throw new Error('TRACES_FILE_MAX_BYTES must be a positive integer (bytes)');
    }
    return {
      exporter: new FileSpanExporter({ file: `${env.TRACES_DIR}/${service}.jsonl`, maxBytes }),
      destination: 'file',
    };
  }
  return { destination: 'none' };
}
