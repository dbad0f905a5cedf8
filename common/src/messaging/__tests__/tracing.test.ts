import { Writable } from 'node:stream';
import { context, trace, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '../../http/logger';
import { startTracing, type Tracing } from '../../telemetry/tracing';
import { startTestConsumer, type TestConsumer } from '../../testing/events';
import { startNatsServer, type NatsServerHandle } from '../../testing/nats-server';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database';
import { defineConsumer } from '../consumer';
import { outbox } from '../outbox';
import type { OutboxRelay } from '../relay';
import { connectWithStream, newRelay, ticketData } from './helpers';

const exported = new InMemorySpanExporter();
let tracing: Tracing;
let nats: NatsServerHandle;
let db: TestDatabase;
let nc: NatsConnection;
const running: { stop(): Promise<void> }[] = [];

beforeAll(() => {
  tracing = startTracing({ service: 'demo', exporter: exported, instrument: false, env: {} })!;
});

afterAll(async () => {
  await tracing.shutdown();
});

beforeEach(async () => {
  exported.reset();
  nats = await startNatsServer();
  db = await createTestDatabase();
  ({ nc } = await connectWithStream(nats.url));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  await nc.close();
  await db.drop();
  await nats.stop();
});

const tracer = trace.getTracer('test');

/** Runs `fn` inside a new root span (a request, say) and returns that span. */
async function inRootSpan(fn: () => Promise<unknown>): Promise<Span> {
  const span = tracer.startSpan('request');
  await context.with(trace.setSpan(context.active(), span), fn);
  span.end();
  return span;
}

function spanNamed(name: string): ReadableSpan {
  const found = exported.getFinishedSpans().filter((s) => s.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

async function startRelay(): Promise<OutboxRelay> {
  const relay = newRelay(db, nc);
  running.push(relay);
  await relay.start();
  return relay;
}

async function startConsumer(
  handle: Parameters<typeof defineConsumer<'ticket.created'>>[1],
  maxDeliveries?: number,
): Promise<TestConsumer<'ticket.created'>> {
  const tc = await startTestConsumer(defineConsumer('ticket.created', handle), {
    service: 'svc',
    natsUrl: nats.url,
    db: db.db,
    maxDeliveries,
  });
  running.unshift(tc);
  return tc;
}

describe('trace context through events', () => {
  it('publishes an event added inside a trace as a child of the span that added it, and handles it as a child of the publish', async () => {
    const tc = await startConsumer(async () => undefined);
    let id = '';
    const root = await inRootSpan(() =>
      db.db.transaction(async (tx) => {
        id = (await outbox.add(tx, 'ticket.created', ticketData(1))).id;
      }),
    );
    await startRelay();

    await tc.next('handled', id);
    await tracing.flush();
    const publish = spanNamed('publish ticket.created');
    const processed = spanNamed('process ticket.created');
    expect(publish.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(publish.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(processed.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(processed.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.destination.name': 'ticket.created',
      'messaging.message.id': id,
    });
    expect(processed.attributes['messaging.message.id']).toBe(id);
  });

  it('keeps the trace context in the outbox row', async () => {
    const root = await inRootSpan(() =>
      db.db.transaction((tx) => outbox.add(tx, 'ticket.created', ticketData(1))),
    );

    const { rows } = await db.pool.query<{ traceparent: string; scheduled: boolean }>(
      'select traceparent, scheduled from outbox',
    );
    expect(rows).toEqual([
      { traceparent: `00-${root.spanContext().traceId}-${root.spanContext().spanId}-01`, scheduled: false },
    ]);
  });

  it('starts a new trace for a scheduled event, linked to the trace that scheduled it', async () => {
    const tc = await startConsumer(async () => undefined);
    let id = '';
    const root = await inRootSpan(() =>
      db.db.transaction(async (tx) => {
        id = (
          await outbox.add(tx, 'ticket.created', ticketData(1), { notBefore: new Date(Date.now() + 300) })
        ).id;
      }),
    );
    await startRelay();

    await tc.next('handled', id);
    await tracing.flush();
    const publish = spanNamed('publish ticket.created');
    const processed = spanNamed('process ticket.created');
    const origin = root.spanContext();
    expect(publish.spanContext().traceId).not.toBe(origin.traceId);
    expect(publish.parentSpanContext).toBeUndefined();
    expect(publish.links.map((l) => l.context.traceId)).toEqual([origin.traceId]);
    expect(processed.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(processed.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
      [origin.traceId, origin.spanId],
    ]);
  });

  it('keeps the trace id of a dead-lettered event', async () => {
    const tc = await startConsumer(async () => {
      throw new Error('handler bug');
    }, 1);
    const root = await inRootSpan(() =>
      db.db.transaction((tx) => outbox.add(tx, 'ticket.created', ticketData(1))),
    );
    await startRelay();

    await tc.next('dead-lettered');
    const { rows } = await db.pool.query<{ traceparent: string }>('select traceparent from dead_letters');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.traceparent.split('-')[1]).toBe(root.spanContext().traceId);
  });

  it('writes the trace id and span id of the handler span on a log line the handler writes', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      service: 'demo',
      destination: new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const tc = await startConsumer(async () => {
      logger.info('handling');
    });
    let id = '';
    const root = await inRootSpan(() =>
      db.db.transaction(async (tx) => {
        id = (await outbox.add(tx, 'ticket.created', ticketData(1))).id;
      }),
    );
    await startRelay();

    await tc.next('handled', id);
    await tracing.flush();
    const processed = spanNamed('process ticket.created');
    const line = JSON.parse(lines.find((l) => l.includes('"handling"'))!) as Record<string, string>;
    expect(line.trace_id).toBe(root.spanContext().traceId);
    expect(line.span_id).toBe(processed.spanContext().spanId);
  });
});
