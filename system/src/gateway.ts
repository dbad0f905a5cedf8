/**
 * The local gateway: a small streaming reverse proxy that routes by infra/routes.json (the same
 * table the Kubernetes Ingress and HTTPRoute are generated from). Bodies are piped, never
 * buffered; Host is preserved; X-Forwarded-For/Proto/Host are set; Set-Cookie passes through;
 * an unreachable upstream answers 502 in the API's error shape. Upgrades (websockets, used by
 * `next dev`) are tunnelled.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { matchRoute, type Route } from './routes';

/** Where a service listens; undefined when it is not running (the gateway then answers 502). */
export type UpstreamResolver = (service: string) => { host: string; port: number } | undefined;

export interface GatewayOptions {
  routes: Route[];
  upstream: UpstreamResolver;
  /**
   * Answers requests for a service that has no upstream instead of the 502 (the system uses it
   * for the "client not built" placeholder page).
   */
  fallback?: (service: string, req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /** Called once per proxied request when it finishes (for access logs / metrics). */
  onRequest?: (info: { method: string; url: string; service: string; status: number; ms: number }) => void;
  /** Called when an upstream fails. */
  onError?: (info: { service: string; url: string; error: Error }) => void;
}

export interface Gateway {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const UNAVAILABLE = JSON.stringify({ errors: [{ message: 'Service unavailable' }] });
const NOT_FOUND = JSON.stringify({ errors: [{ message: 'Not found' }] });

function forwardedHeaders(req: http.IncomingMessage, upgrade: boolean): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  // Headers named by Connection are hop-by-hop too.
  const connectionTokens = new Set(
    String(req.headers.connection ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (!upgrade && (HOP_BY_HOP.has(name) || connectionTokens.has(name))) continue;
    headers[name] = value;
  }
  const remote = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${String(prior)}, ${remote}` : remote;
  // This gateway is the edge on one machine: it speaks plain HTTP unless a trusted proxy in front said otherwise.
  headers['x-forwarded-proto'] =
    req.headers['x-forwarded-proto'] ??
    ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
  if (req.headers.host) headers['x-forwarded-host'] = req.headers['x-forwarded-host'] ?? req.headers.host;
  return headers;
}

function sendJson(res: http.ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Starts the gateway on `port` (0 = any free port) and host (default all interfaces). */
export async function startGateway(
  options: GatewayOptions & { port?: number; host?: string },
): Promise<Gateway> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const route = matchRoute(options.routes, req.url ?? '/');
    if (!route) {
      sendJson(res, 404, NOT_FOUND);
      return;
    }
    const service = route.service;
    const finish = (status: number) =>
      options.onRequest?.({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        service,
        status,
        ms: Date.now() - started,
      });
    const target = options.upstream(service);
    if (!target) {
      if (options.fallback?.(service, req, res)) return;
      sendJson(res, 502, UNAVAILABLE);
      finish(502);
      return;
    }

    const upstreamReq = http.request({
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req, false),
      agent,
    });
    upstreamReq.on('response', (upstreamRes) => {
      const headers: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(upstreamRes.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers);
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
      res.on('finish', () => finish(upstreamRes.statusCode ?? 0));
    });
    let clientGone = false;
    upstreamReq.on('error', (error) => {
      if (clientGone) return;
      options.onError?.({ service, url: req.url ?? '/', error });
      if (!res.headersSent) finish(502);
      sendJson(res, 502, UNAVAILABLE);
    });
    // The client went away: stop the upstream work too.
    res.on('close', () => {
      if (!res.writableFinished) {
        clientGone = true;
        upstreamReq.destroy();
      }
    });
    req.pipe(upstreamReq);
  });

  // Upgraded connections are not HTTP connections any more: close() ends them itself.
  const tunnels = new Set<net.Socket>();
  server.on('upgrade', (req, socket: net.Socket, head) => {
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    const route = matchRoute(options.routes, req.url ?? '/');
    const target = route && options.upstream(route.service);
    if (!target) {
      socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect(target.port, target.host, () => {
      const headers = forwardedHeaders(req, true);
      let head1 = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (const [name, value] of Object.entries(headers)) {
        for (const v of Array.isArray(value) ? value : [value]) head1 += `${name}: ${String(v)}\r\n`;
      }
      upstream.write(`${head1}\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
  });

  // Keep-alive sockets must not keep close() waiting.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const t of tunnels) t.destroy();
        agent.destroy();
      }),
  };
}
