/**
 * Reads the spans the local system keeps (OTLP/JSON export requests, one per line, in
 * `<DATA_DIR>/traces/<service>.jsonl` and its rotated `.1`) and draws a trace as a waterfall.
 * Used by `npm run trace` and the tracing system test.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One span as stored, flattened. */
export interface StoredSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
  statusMessage?: string;
  attributes: Record<string, string | number | boolean>;
  links: { traceId: string; spanId: string }[];
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status?: { code?: number; message?: string };
  attributes?: { key: string; value: OtlpValue }[];
  links?: { traceId: string; spanId: string }[];
}
interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

function valueOf(v: OtlpValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return '';
}

function attributesOf(
  list: { key: string; value: OtlpValue }[] = [],
): Record<string, string | number | boolean> {
  return Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));
}

/** Every span in the trace files of `dir` (missing dir: none). A torn last line is skipped. */
export function readSpans(dir: string): StoredSpan[] {
  if (!fs.existsSync(dir)) return [];
  const spans: StoredSpan[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => /\.jsonl(\.1)?$/.test(f))) {
    for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let request: OtlpRequest;
      try {
        request = JSON.parse(line) as OtlpRequest;
      } catch {
        continue;
      }
      for (const rs of request.resourceSpans ?? []) {
        const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '?');
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              kind: s.kind,
              startNs: BigInt(s.startTimeUnixNano),
              endNs: BigInt(s.endTimeUnixNano),
              status: s.status?.code ?? 0,
              statusMessage: s.status?.message || undefined,
              attributes: attributesOf(s.attributes),
              links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
            });
          }
        }
      }
    }
  }
  return spans;
}

/** The spans of one trace, earliest first. */
export function spansOfTrace(spans: StoredSpan[], traceId: string): StoredSpan[] {
  return spans.filter((s) => s.traceId === traceId).sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
}

/** The trace id in a `traceresponse` or `traceparent` value (`00-<trace-id>-<span-id>-<flags>`). */
export function traceIdOf(header: string | null | undefined): string | undefined {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(header ?? '');
  return m?.[1];
}

/** Whether a span is the server span of `method` on a path starting with `prefix`. */
function isServerSpanOf(s: StoredSpan, method: string, prefix: string): boolean {
  const route = String(s.attributes['http.route'] ?? s.attributes['url.path'] ?? '');
  return s.kind === 2 && s.attributes['http.request.method'] === method && route.startsWith(prefix);
}

/**
 * The most recent purchase: the trace of the last `POST /api/payments`, and before it the trace of
 * the last `POST /api/orders` started before that payment (a purchase is those two requests).
 * Empty when no payment is recorded.
 */
export function lastPurchase(spans: StoredSpan[]): string[] {
  const latest = (list: StoredSpan[]) =>
    list.reduce<StoredSpan | undefined>((a, s) => (!a || s.startNs > a.startNs ? s : a), undefined);
  const payment = latest(spans.filter((s) => isServerSpanOf(s, 'POST', '/api/payments')));
  if (!payment) return [];
  const order = latest(
    spans.filter((s) => isServerSpanOf(s, 'POST', '/api/orders') && s.startNs < payment.startNs),
  );
  return order ? [order.traceId, payment.traceId] : [payment.traceId];
}

/**
 * A trace as a terminal waterfall: one line per span, children under their parent, with the
 * start offset from the trace's first span, the duration, the service, the span and its status.
 */
export function waterfall(spans: StoredSpan[], width = 30): string {
  if (spans.length === 0) return '(no spans)';
  const t0 = spans.reduce((m, s) => (s.startNs < m ? s.startNs : m), spans[0]!.startNs);
  const t1 = spans.reduce((m, s) => (s.endNs > m ? s.endNs : m), spans[0]!.endNs);
  const total = Number(t1 - t0) || 1;
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, StoredSpan[]>();
  const roots: StoredSpan[] = [];
  for (const s of spans) {
    if (s.parentSpanId && ids.has(s.parentSpanId)) {
      children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
    } else roots.push(s);
  }
  const ms = (ns: bigint | number) => (Number(ns) / 1e6).toFixed(1);
  const serviceWidth = Math.max(7, ...spans.map((s) => s.service.length));
  const lines = [
    `trace ${spans[0]!.traceId} · ${spans.length} spans · ${ms(total)} ms`,
    `${'start ms'.padStart(9)} ${'dur ms'.padStart(8)}  ${'service'.padEnd(serviceWidth)}  ${''.padEnd(width)}  span (kind) status`,
  ];
  const draw = (s: StoredSpan, depth: number) => {
    const from = Math.floor((Number(s.startNs - t0) / total) * width);
    const len = Math.max(1, Math.round((Number(s.endNs - s.startNs) / total) * width));
    const bar =
      ' '.repeat(Math.min(from, width - 1)) + '█'.repeat(Math.min(len, width - Math.min(from, width - 1)));
    const status =
      s.status === 2 ? `ERROR${s.statusMessage ? ` ${s.statusMessage}` : ''}` : s.status === 1 ? 'OK' : '-';
    const links = s.links.map((l) => ` ↳ linked to trace ${l.traceId} span ${l.spanId}`).join('');
    lines.push(
      `${ms(s.startNs - t0).padStart(9)} ${ms(s.endNs - s.startNs).padStart(8)}  ${s.service.padEnd(serviceWidth)}  ${bar.padEnd(width)}  ${'  '.repeat(depth)}${s.name} (${KIND_NAMES[s.kind] ?? s.kind}) ${status}${links}`,
    );
    for (const c of (children.get(s.spanId) ?? []).sort((a, b) => (a.startNs < b.startNs ? -1 : 1)))
      draw(c, depth + 1);
  };
  for (const r of roots) draw(r, 0);
  return lines.join('\n');
}
