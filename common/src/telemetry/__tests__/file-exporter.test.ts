import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTracerProvider } from '../tracing';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'traces-test-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Ends `count` spans named `name-<i>` and exports them, one export request per span. */
async function exportSpans(tracing: ReturnType<typeof createTracerProvider>, name: string, count: number) {
  const tracer = tracing.provider.getTracer('test');
  for (let i = 0; i < count; i++) {
    tracer.startSpan(`${name}-${i}`).end();
    await tracing.flush();
  }
}

describe('spans kept in a file (TRACES_DIR)', () => {
  it('writes each export as one line of OTLP/JSON naming the service', async () => {
    const tracing = createTracerProvider({ service: 'orders', env: { TRACES_DIR: dir } });

    await exportSpans(tracing, 'work', 2);
    await tracing.shutdown();

    const lines = fs.readFileSync(path.join(dir, 'orders.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const request = JSON.parse(lines[0]!);
    expect(request.resourceSpans[0].resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'orders' },
    });
    expect(request.resourceSpans[0].scopeSpans[0].spans[0]).toMatchObject({
      name: 'work-0',
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('rotates the file past TRACES_FILE_MAX_BYTES, keeping one older file, so the disk use stays bounded', async () => {
    const tracing = createTracerProvider({
      service: 'orders',
      env: { TRACES_DIR: dir, TRACES_FILE_MAX_BYTES: '2000' },
    });

    await exportSpans(tracing, 'work', 40);
    await tracing.shutdown();

    expect(fs.readdirSync(dir).sort()).toEqual(['orders.jsonl', 'orders.jsonl.1']);
    for (const file of ['orders.jsonl', 'orders.jsonl.1']) {
      expect(fs.statSync(path.join(dir, file)).size).toBeLessThanOrEqual(2000);
    }
    const newest = fs.readFileSync(path.join(dir, 'orders.jsonl'), 'utf8').trim().split('\n').at(-1)!;
    expect(JSON.parse(newest).resourceSpans[0].scopeSpans[0].spans[0].name).toBe('work-39');
  });

  it('refuses a TRACES_FILE_MAX_BYTES that is not a positive whole number', () => {
    expect(() =>
      createTracerProvider({ service: 'orders', env: { TRACES_DIR: dir, TRACES_FILE_MAX_BYTES: '10MB' } }),
    ).toThrow('TRACES_FILE_MAX_BYTES must be a positive integer (bytes)');
  });
});
