import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createTracerProvider, type Tracing } from '@ticketing/common/telemetry';
import { startGateway, type Gateway } from '../gateway';
import { loadRoutes, matchRoute, type Route } from '../routes';
import { readSpans } from '../traces';

interface Seen {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
}

/** A real upstream that records what it received and answers per `handler`. */
async function upstream(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void,
) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    if (handler) return handler(req, res);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ from: name, url: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    server,
    seen,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const routes: Route[] = loadRoutes();

describe('the route table (infra/routes.json)', () => {
  it.each([
    ['/api/users/signup', 'auth'],
    ['/api/users', 'auth'],
    ['/api/tickets?x=1', 'tickets'],
    ['/api/tickets/0f6c', 'tickets'],
    ['/api/orders/1', 'orders'],
    ['/api/payments', 'payments'],
    ['/api/usersx', 'client'],
    ['/', 'client'],
    ['/tickets/new', 'client'],
  ])('routes %s to %s by the longest whole-segment prefix', (url, service) => {
    expect(matchRoute(routes, url)?.service).toBe(service);
  });
});

describe('the gateway', () => {
  let auth: Awaited<ReturnType<typeof upstream>>;
  let tickets: Awaited<ReturnType<typeof upstream>>;
  let client: Awaited<ReturnType<typeof upstream>>;
  let gateway: Gateway;
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    auth = await upstream('auth', (req, res) => {
      if (req.url === '/api/users/signin') {
        res.setHeader('set-cookie', ['session=abc; Path=/; HttpOnly', 'other=1; Path=/']);
        res.statusCode = 200;
        res.end('{}');
        return;
      }
      if (req.url === '/api/users/echo') {
        // Streams the request body back as it arrives.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        req.pipe(res);
        return;
      }
      res.end(JSON.stringify({ from: 'auth' }));
    });
    tickets = await upstream('tickets');
    client = await upstream('client');
    ports.auth = auth.port;
    ports.tickets = tickets.port;
    ports.client = client.port;
    gateway = await startGateway({
      routes,
      port: 0,
      host: '127.0.0.1',
      upstream: (s) => (ports[s] ? { host: '127.0.0.1', port: ports[s] } : undefined),
    });
  });

  afterAll(async () => {
    await gateway.close();
    await Promise.all([auth.close(), tickets.close(), client.close()]);
  });

  it('sends each path to its service and everything else to the client', async () => {
    const a = await fetch(`${gateway.url}/api/tickets/123?x=1`).then((r) => r.json());
    const b = await fetch(`${gateway.url}/some/page`).then((r) => r.json());
    expect(a).toEqual({ from: 'tickets', url: '/api/tickets/123?x=1' });
    expect(b).toEqual({ from: 'client', url: '/some/page' });
  });

  it('preserves Host and sets X-Forwarded-For, -Proto and -Host', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: gateway.port,
          path: '/api/tickets',
          headers: { host: 'tickets.example:3000' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
        },
      );
      req.on('error', reject);
      req.end();
    });
    const seen = tickets.seen.at(-1)!;
    expect(seen.headers.host).toBe('tickets.example:3000');
    expect(seen.headers['x-forwarded-host']).toBe('tickets.example:3000');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('keeps an X-Forwarded-Proto set by a trusted proxy in front and appends to X-Forwarded-For', async () => {
    const behindProxy = await startGateway({
      routes,
      trustProxy: ['127.0.0.1'],
      upstream: (s) => (ports[s] ? { host: '127.0.0.1', port: ports[s] } : undefined),
    });
    try {
      await fetch(`${behindProxy.url}/api/tickets`, {
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' },
      }).then((r) => r.text());
    } finally {
      await behindProxy.close();
    }
    const seen = tickets.seen.at(-1)!;
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
  });

  it('keeps only the addresses trusted hops vouch for', async () => {
    const oneHop = await startGateway({
      routes,
      trustProxy: 1,
      upstream: (s) => (ports[s] ? { host: '127.0.0.1', port: ports[s] } : undefined),
    });
    try {
      await fetch(`${oneHop.url}/api/tickets`, {
        headers: { 'x-forwarded-for': '10.6.6.6, 203.0.113.7' },
      }).then((r) => r.text());
    } finally {
      await oneHop.close();
    }
    expect(tickets.seen.at(-1)!.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
  });

  it('does not let a client set X-Forwarded-For, -Proto or -Host', async () => {
    await fetch(`${gateway.url}/api/tickets`, {
      headers: {
        'x-forwarded-for': '203.0.113.7',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.example',
        forwarded: 'for=203.0.113.7',
      },
    }).then((r) => r.text());
    const seen = tickets.seen.at(-1)!;
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(`127.0.0.1:${gateway.port}`);
    expect(seen.headers.forwarded).toBeUndefined();
  });

  it('passes every Set-Cookie header through', async () => {
    const res = await fetch(`${gateway.url}/api/users/signin`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual(['session=abc; Path=/; HttpOnly', 'other=1; Path=/']);
  });

  it('streams a request body without waiting for its end', async () => {
    // The upstream echoes; we read the first chunk back before sending the second.
    const received = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: gateway.port, method: 'POST', path: '/api/users/echo' },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.once('data', (first: string) => {
            body += first;
            req.end('second');
            res.on('data', (d: string) => (body += d));
          });
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.flushHeaders();
      req.write('first;');
    });
    expect(received).toBe('first;second');
  });

  it('answers 502 in the error shape when the upstream is down', async () => {
    const saved = ports.tickets;
    ports.tickets = await closedPort();
    try {
      const res = await fetch(`${gateway.url}/api/tickets`);
      expect(res.status).toBe(502);
      expect(await res.json()).toEqual({ errors: [{ message: 'Service unavailable' }] });
    } finally {
      ports.tickets = saved;
    }
  });

  it('answers 502 when the service has no upstream', async () => {
    const res = await fetch(`${gateway.url}/api/orders`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ errors: [{ message: 'Service unavailable' }] });
  });

  it('tunnels a websocket upgrade to the service', async () => {
    client.server.on('upgrade', (req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (d) => socket.write(`echo:${d.toString()}`));
      socket.on('end', () => socket.destroy());
    });
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(gateway.port, '127.0.0.1', () => {
        s.write(
          'GET /_next/webpack-hmr HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
        );
      });
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\r\n\r\n') && !buf.includes('echo:')) s.write('ping');
        if (buf.includes('echo:ping')) {
          s.destroy();
          resolve(buf);
        }
      });
      s.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1.1 101/);
    expect(reply).toContain('echo:ping');
  });
});

/** Sends raw bytes and collects everything the gateway answers until it closes (or `ms` pass). */
function exchange(port: number, data: string, ms = 5_000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(data));
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text, closed: false });
    }, ms);
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    s.on('error', reject);
  });
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const wsAccept = (key: string) =>
  crypto
    .createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');

/** One websocket text frame (RFC 6455 §5.2), masked as a client must send it. */
function wsFrame(text: string, masked: boolean): Buffer {
  const payload = Buffer.from(text);
  const mask = masked ? crypto.randomBytes(4) : Buffer.alloc(0);
  const body = masked ? payload.map((b, i) => b ^ mask[i % 4]!) : payload;
  return Buffer.concat([Buffer.from([0x81, (masked ? 0x80 : 0) | payload.length]), mask, body]);
}

/** The text of the first whole frame in `buf` (short frames only), if there is one. */
function wsRead(buf: Buffer): string | undefined {
  if (buf.length < 2) return undefined;
  const masked = (buf[1]! & 0x80) !== 0;
  const len = buf[1]! & 0x7f;
  const start = 2 + (masked ? 4 : 0);
  if (buf.length < start + len) return undefined;
  const body = buf.subarray(start, start + len);
  const mask = buf.subarray(2, 6);
  return Buffer.from(masked ? body.map((b, i) => b ^ mask[i % 4]!) : body).toString();
}

describe('the gateway at the edge', () => {
  let auth: Awaited<ReturnType<typeof upstream>>;
  let tickets: Awaited<ReturnType<typeof upstream>>;
  let client: Awaited<ReturnType<typeof upstream>>;
  let silent: net.Server;
  const silentSockets = new Set<net.Socket>();
  let gateway: Gateway;
  const ports: Record<string, number> = {};
  const errors: string[] = [];

  beforeAll(async () => {
    auth = await upstream('auth');
    tickets = await upstream('tickets', (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => res.end(JSON.stringify({ url: req.url, body })));
    });
    client = await upstream('client');
    // A real websocket server: it checks the handshake, answers 101 and echoes one text frame.
    client.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      const key = String(req.headers['sec-websocket-key'] ?? '');
      if (req.headers.upgrade !== 'websocket' || !key) {
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${wsAccept(key)}\r\n\r\n`,
      );
      let buf = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const text = wsRead(buf);
        if (text !== undefined) socket.write(wsFrame(`echo:${text}`, false));
      });
      socket.on('error', () => socket.destroy());
      socket.on('end', () => socket.destroy());
    });
    // Accepts connections and never answers.
    silent = net.createServer((s) => {
      silentSockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => silentSockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    ports.auth = auth.port;
    ports.tickets = tickets.port;
    ports.client = client.port;
    ports.orders = (silent.address() as AddressInfo).port;
    gateway = await startGateway({
      routes,
      headersTimeoutMs: 500,
      requestTimeoutMs: 1_000,
      upstreamTimeoutMs: 700,
      upstream: (s) => (ports[s] ? { host: '127.0.0.1', port: ports[s] } : undefined),
      onError: ({ error }) => errors.push(error.message),
    });
  });

  afterAll(async () => {
    await gateway.close();
    await new Promise<void>((r) => {
      silent.close(() => r());
      for (const s of silentSockets) s.destroy();
    });
    await Promise.all([auth.close(), tickets.close(), client.close()]);
  });

  it('refuses a request with both Content-Length and Transfer-Encoding with 400', async () => {
    const before = tickets.seen.length;
    const { text, closed } = await exchange(
      gateway.port,
      'POST /api/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '0\r\n\r\nGET /api/tickets/smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(text).toMatch(/^HTTP\/1.1 400 /);
    expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe(
      JSON.stringify({ errors: [{ message: 'Invalid message framing' }] }),
    );
    expect(closed).toBe(true);
    expect(tickets.seen.length).toBe(before);
  });

  it('refuses two different Content-Lengths with 400', async () => {
    const { text } = await exchange(
      gateway.port,
      'POST /api/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}',
    );
    expect(text).toMatch(/^HTTP\/1.1 400 /);
  });

  it('refuses a transfer coding it cannot forward with 501', async () => {
    const before = tickets.seen.length;
    const { text, closed } = await exchange(
      gateway.port,
      'POST /api/tickets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    );
    expect(text).toMatch(/^HTTP\/1.1 501 /);
    expect(text).toContain('{"errors":[{"message":"Transfer-Encoding is not supported"}]}');
    expect(closed).toBe(true);
    expect(tickets.seen.length).toBe(before);
  });

  it('forwards a body named in Connection: content-length once, never as a second request', async () => {
    const smuggled = 'GET /api/tickets/smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
    const { text } = await exchange(
      gateway.port,
      'GET /api/tickets/first HTTP/1.1\r\nHost: x\r\nConnection: content-length\r\n' +
        `Content-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
      1_500,
    );
    expect(text).toMatch(/^HTTP\/1.1 200 /);
    expect(text).toContain(JSON.stringify({ url: '/api/tickets/first', body: smuggled }));
    expect(tickets.seen.map((s) => s.url)).not.toContain('/api/tickets/smuggled');
  });

  it('forwards a chunked body chunked, whatever Connection names', async () => {
    const { text } = await exchange(
      gateway.port,
      'POST /api/tickets/chunked HTTP/1.1\r\nHost: x\r\nConnection: transfer-encoding, close\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    );
    expect(text).toContain(JSON.stringify({ url: '/api/tickets/chunked', body: 'hello' }));
    expect(tickets.seen.at(-1)!.headers['transfer-encoding']).toBe('chunked');
  });

  it('answers an upgrade to an API route as a plain request and closes: nothing after it reaches the service', async () => {
    const before = auth.seen.length;
    const { text, closed } = await exchange(
      gateway.port,
      'GET /api/users/currentuser HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' +
        'GET /api/users/metrics HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(text).toMatch(/^HTTP\/1.1 200 /);
    expect(text).toMatch(/\r\nConnection: close\r\n/i);
    expect(text).toContain('"from":"auth"');
    expect(closed).toBe(true);
    const reached = auth.seen.slice(before);
    expect(reached.map((s) => s.url)).toEqual(['/api/users/currentuser']);
    expect(reached[0]!.headers.upgrade).toBeUndefined();
  });

  it('does not tunnel an upgrade the upstream refuses: its answer is relayed and the socket closed', async () => {
    const before = client.seen.length;
    const { text, closed } = await exchange(
      gateway.port,
      'GET /_next/webpack-hmr HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n' +
        'GET /after HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(text).toMatch(/^HTTP\/1.1 400 /);
    expect(closed).toBe(true);
    expect(client.seen.length).toBe(before);
  });

  it('tunnels a websocket to the client route: a real handshake, then data both ways', async () => {
    const key = crypto.randomBytes(16).toString('base64');
    const result = await new Promise<{ head: string; echoed: string }>((resolve, reject) => {
      const s = net.connect(gateway.port, '127.0.0.1', () =>
        s.write(
          'GET /_next/webpack-hmr HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
      );
      let buf = Buffer.alloc(0);
      let head: string | undefined;
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (head === undefined) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          head = buf.subarray(0, end).toString();
          buf = buf.subarray(end + 4);
          s.write(wsFrame('ping', true));
        }
        const echoed = wsRead(buf);
        if (echoed !== undefined) {
          s.destroy();
          resolve({ head, echoed });
        }
      });
      s.on('error', reject);
    });
    expect(result.head).toMatch(/^HTTP\/1.1 101 /);
    expect(result.head).toContain(`Sec-WebSocket-Accept: ${wsAccept(key)}`);
    expect(result.echoed).toBe('echo:ping');
  });

  it('cuts off a client that never finishes its headers while serving others', async () => {
    const started = Date.now();
    const slow = exchange(gateway.port, 'GET /api/tickets HTTP/1.1\r\nHost: x\r\nX-Slow: ', 10_000);
    const served = await fetch(`${gateway.url}/api/tickets/meanwhile`);
    expect(served.status).toBe(200);
    const { text, closed } = await slow;
    expect(closed).toBe(true);
    expect(text).toMatch(/^HTTP\/1.1 408 /);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('cuts off a client that never finishes its body', async () => {
    const { text, closed } = await exchange(
      gateway.port,
      'POST /api/tickets/slow-body HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{',
      10_000,
    );
    expect(closed).toBe(true);
    // Whoever answers first (the request timeout or the upstream bound), the client is not kept waiting.
    expect(text).toMatch(/^HTTP\/1.1 (408|504) /);
  });

  it('answers 504 in the error shape when the upstream does not answer in time', async () => {
    const started = Date.now();
    const res = await fetch(`${gateway.url}/api/orders`);
    const ms = Date.now() - started;
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({ errors: [{ message: 'Gateway timeout' }] });
    expect(ms).toBeGreaterThanOrEqual(650);
    expect(ms).toBeLessThan(3_000);
    expect(errors.at(-1)).toMatch(/no answer in 700 ms/);
  });
});

describe("the gateway's kept-alive upstream connections", () => {
  // What the gateway meets when a service's keep-alive timeout closes a connection just as the
  // gateway reuses it: this upstream answers the first request on each connection and closes the
  // connection, unanswered, when a second one arrives on it.
  let upstreamServer: net.Server;
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  let gateway: Gateway;

  beforeAll(async () => {
    upstreamServer = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      let requests = 0;
      socket.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().match(/^[A-Z]+ \S+ HTTP\/1\.1$/gm) ?? []) {
          received.push(line);
          if (requests++ > 0) return socket.destroy();
          socket.write(
            'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nKeep-Alive: timeout=60\r\n\r\n{}',
          );
        }
      });
    });
    await new Promise<void>((r) => upstreamServer.listen(0, '127.0.0.1', () => r()));
  });

  beforeEach(async () => {
    received.length = 0;
    // A fresh gateway: its first request opens a connection, its second reuses it.
    const port = (upstreamServer.address() as AddressInfo).port;
    gateway = await startGateway({ routes, upstream: () => ({ host: '127.0.0.1', port }) });
  });

  afterEach(() => gateway.close());

  afterAll(async () => {
    await new Promise<void>((r) => {
      upstreamServer.close(() => r());
      for (const s of sockets) s.destroy();
    });
  });

  it('sends a GET again on a new connection when the reused one closes unanswered', async () => {
    const first = await fetch(`${gateway.url}/api/tickets/1`);
    await first.text();
    const second = await fetch(`${gateway.url}/api/tickets/1`);

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await second.json()).toEqual({});
    expect(received).toEqual(Array(3).fill('GET /api/tickets/1 HTTP/1.1'));
  });

  it('answers 502 to a POST in that case and does not send it again (it may have had an effect)', async () => {
    const post = () =>
      fetch(`${gateway.url}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
    const first = await post();
    await first.text();
    const second = await post();

    expect([first.status, second.status]).toEqual([200, 502]);
    expect(await second.json()).toEqual({ errors: [{ message: 'Service unavailable' }] });
    expect(received).toEqual(Array(2).fill('POST /api/orders HTTP/1.1'));
  });
});

describe('the gateway with tracing', () => {
  let tickets: Awaited<ReturnType<typeof upstream>>;
  let gateway: Gateway;
  let tracing: Tracing;
  let tracesDir: string;
  let deadPort: number;

  beforeAll(async () => {
    tracesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-traces-'));
    tracing = createTracerProvider({ service: 'gateway', env: { TRACES_DIR: tracesDir } });
    tickets = await upstream('tickets');
    deadPort = await closedPort();
    gateway = await startGateway({
      routes,
      port: 0,
      upstream: (service) =>
        service === 'tickets'
          ? { host: '127.0.0.1', port: tickets.port }
          : { host: '127.0.0.1', port: deadPort },
      tracer: tracing.provider.getTracer('gateway'),
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await tickets?.close();
    await tracing?.shutdown();
    fs.rmSync(tracesDir, { recursive: true, force: true });
  });

  it("continues the caller's trace: answers with a traceresponse naming its span, and sends that span upstream as traceparent", async () => {
    const callerTrace = crypto.randomBytes(16).toString('hex');
    const callerSpan = crypto.randomBytes(8).toString('hex');

    const res = await fetch(`${gateway.url}/api/tickets/42`, {
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
    });
    await res.text();

    const [, traceId, spanId] = (res.headers.get('traceresponse') ?? '').split('-');
    expect(traceId).toBe(callerTrace);
    expect(tickets.seen.at(-1)?.headers.traceparent).toBe(`00-${callerTrace}-${spanId}-01`);
    await tracing.flush();
    const span = readSpans(tracesDir).find((s) => s.spanId === spanId);
    expect(span).toMatchObject({
      service: 'gateway',
      name: 'GET /api/tickets',
      kind: 2,
      traceId: callerTrace,
      parentSpanId: callerSpan,
      attributes: { 'http.route': '/api/tickets', 'http.response.status_code': 200 },
    });
  });

  it("passes the caller's tracestate upstream beside its own span's traceparent", async () => {
    const callerTrace = crypto.randomBytes(16).toString('hex');
    const callerSpan = crypto.randomBytes(8).toString('hex');

    const res = await fetch(`${gateway.url}/api/tickets/42`, {
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-01`, tracestate: 'vendor=abc,other=1' },
    });
    await res.text();

    const [, , spanId] = (res.headers.get('traceresponse') ?? '').split('-');
    expect(tickets.seen.at(-1)?.headers.traceparent).toBe(`00-${callerTrace}-${spanId}-01`);
    expect(tickets.seen.at(-1)?.headers.tracestate).toBe('vendor=abc,other=1');
  });

  it('answers its own 502 with a traceresponse too, and records the span as an error', async () => {
    const res = await fetch(`${gateway.url}/api/orders`);
    await res.text();

    expect(res.status).toBe(502);
    const [, , spanId] = (res.headers.get('traceresponse') ?? '').split('-');
    await tracing.flush();
    const span = readSpans(tracesDir).find((s) => s.spanId === spanId);
    expect(span).toMatchObject({ name: 'GET /api/orders', status: 2 });
    expect(span?.attributes['http.response.status_code']).toBe(502);
  });
});

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
