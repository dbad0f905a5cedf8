import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startGateway, type Gateway } from '../gateway';
import { loadRoutes, matchRoute, type Route } from '../routes';

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

  it('keeps an X-Forwarded-Proto set by a proxy in front and appends to X-Forwarded-For', async () => {
    await fetch(`${gateway.url}/api/tickets`, {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' },
    }).then((r) => r.text());
    const seen = tickets.seen.at(-1)!;
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
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

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
