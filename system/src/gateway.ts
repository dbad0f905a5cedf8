/**
 * The local gateway: a small streaming reverse proxy that routes by infra/routes.json (the same
 * table the Kubernetes Ingress and HTTPRoute are generated from). Bodies are piped, never
 * buffered; Host is preserved; Set-Cookie passes through; an unreachable upstream answers 502 and
 * a silent one 504, in the API's error shape.
 *
 * Why our own and not a proxy library: what this gateway must get right is exactly what libraries
 * such as http-proxy(-3) leave to the caller (they tunnel any upgrade to any target and copy
 * client X-Forwarded-* headers), so we would wrap the same checks around them; node:http already
 * does the parsing and the pooling, and the rest is a few dozen lines we can test with raw sockets.
 *
 * HTTP as the edge must speak it:
 * - Framing is never lost or made ambiguous. Node's parser refuses Content-Length together with
 *   Transfer-Encoding, duplicate or invalid lengths (400 here, in the error shape); a transfer
 *   coding other than `chunked` is refused with 501. Content-Length and Transfer-Encoding are
 *   forwarded even when the client names them in Connection, so the upstream reads the body once.
 * - Other hop-by-hop headers (RFC 9110 §7.6.1: the fixed list and whatever Connection names) stop here.
 * - Upgrades are tunnelled only on routes with `"upgrade": true` (the client's, for Next's HMR) and
 *   only once the upstream answered 101; anything else gets the upstream's response and the socket
 *   is closed, so no later bytes reach a service unparsed.
 * - X-Forwarded-For/-Proto/-Host come from the connection; the client's are kept only from a
 *   trusted proxy (`trustProxy`).
 * - A client that does not finish its headers (`headersTimeoutMs`) or request (`requestTimeoutMs`)
 *   is cut off; an upstream that does not start answering within `upstreamTimeoutMs` gets 504.
 *
 * Tracing: given a `tracer`, each proxied request is a server span (continuing the client's W3C
 * `traceparent` if it sent one) whose context goes upstream in `traceparent`, and the response's
 * `traceresponse` names it. Made here rather than by the http instrumentation, which patches
 * node:http at load time: the gateway also runs inside the system tests' process, where that
 * patching does not reach, and this way its span is named by the route it chose.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { extractW3CHeaders, injectW3CHeaders, traceresponseOf } from '@ticketing/common/telemetry';
import { matchRoute, type Route } from './routes';

/** Where a service listens; undefined when it is not running (the gateway then answers 502). */
export type UpstreamResolver = (service: string) => { host: string; port: number } | undefined;

/**
 * Which peers may set X-Forwarded-*: a number of proxy hops in front of the gateway, or their
 * addresses / CIDR ranges. 0 (the default): none, the client's headers are replaced.
 */
export type TrustProxy = number | string[];

export interface GatewaySettings {
  /** Bound on the wait for an upstream's response headers; then 504. Default 30 s. */
  upstreamTimeoutMs?: number;
  /** A client must send its request headers within this. Default 10 s. */
  headersTimeoutMs?: number;
  /** A client must send its whole request (headers and body) within this. Default 30 s. */
  requestTimeoutMs?: number;
  trustProxy?: TrustProxy;
}

export interface GatewayOptions extends GatewaySettings {
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
  /** Makes a server span per proxied request (see above); none when omitted. */
  tracer?: Tracer;
}

export interface Gateway {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The gateway settings of `npm start`: GATEWAY_UPSTREAM_TIMEOUT_MS, GATEWAY_HEADERS_TIMEOUT_MS,
 * GATEWAY_REQUEST_TIMEOUT_MS and TRUST_PROXY (a hop count, or comma-separated addresses/CIDRs).
 */
export function gatewaySettingsFromEnv(env: NodeJS.ProcessEnv): GatewaySettings {
  const ms = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer (milliseconds)`);
    return n;
  };
  return {
    upstreamTimeoutMs: ms('GATEWAY_UPSTREAM_TIMEOUT_MS'),
    headersTimeoutMs: ms('GATEWAY_HEADERS_TIMEOUT_MS'),
    requestTimeoutMs: ms('GATEWAY_REQUEST_TIMEOUT_MS'),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
  };
}

/** TRUST_PROXY: empty/"0"/"false" → none, "true" → 1 hop, "2" → 2 hops, else addresses/CIDRs. */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const v = (value ?? '').trim();
  if (v === '' || v === 'false') return 0;
  if (v === 'true') return 1;
  if (/^\d+$/.test(v)) return Number(v);
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  trustedList(list); // throws on a bad entry now rather than at the first request
  return list;
}

function trustedList(list: string[]): net.BlockList {
  const block = new net.BlockList();
  for (const entry of list) {
    const [address, bits] = entry.split('/');
    const type = net.isIP(address ?? '');
    if (!type || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new Error(`TRUST_PROXY: "${entry}" is not an IP address or CIDR range`);
    }
    const family = type === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) block.addAddress(address!, family);
    else block.addSubnet(address!, Number(bits), family);
  }
  return block;
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
/** Never dropped because Connection names them: losing them would change how the message is read. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'host']);
/** Set by the gateway itself (from the connection, or a trusted proxy's values). */
const FORWARDING = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded']);

const errorBody = (message: string) => JSON.stringify({ errors: [{ message }] });
const UNAVAILABLE = 'Service unavailable';
const TIMEOUT = 'Gateway timeout';

function connectionTokens(value: string | string[] | undefined): Set<string> {
  return new Set(
    (Array.isArray(value) ? value.join(',') : (value ?? ''))
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** How many hops, starting with the peer, are trusted proxies (proxy-addr's walk). */
function trustedHops(peer: string, forwardedFor: string[], trust: TrustProxy, list?: net.BlockList): number {
  const chain = [peer, ...[...forwardedFor].reverse()];
  if (typeof trust === 'number') return Math.min(trust, chain.length);
  let n = 0;
  while (n < chain.length) {
    const a = plainAddress(chain[n]!);
    const type = net.isIP(a);
    if (!type || !list?.check(a, type === 4 ? 'ipv4' : 'ipv6')) break;
    n++;
  }
  return n;
}

function forwardedHeaders(
  req: http.IncomingMessage,
  upgrade: boolean,
  trust: TrustProxy,
  list?: net.BlockList,
): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  const named = connectionTokens(req.headers.connection);
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || FORWARDING.has(name)) continue;
    if (HOP_BY_HOP.has(name) || (named.has(name) && !FRAMING.has(name))) continue;
    headers[name] = value;
  }
  // The parser has taken the chunks apart; node:http chunks the body again for the upstream.
  if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
  if (upgrade && req.headers.upgrade) {
    headers.connection = 'Upgrade';
    headers.upgrade = req.headers.upgrade;
  }

  const peer = plainAddress(req.socket.remoteAddress ?? '');
  const sent = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const hops = trustedHops(peer, sent, trust, list);
  // Each trusted hop vouches for the address it appended; whatever came before is the client's word.
  const vouched = hops > 0 ? sent.slice(Math.max(0, sent.length - hops)) : [];
  headers['x-forwarded-for'] = [...vouched, peer].join(', ');
  const proto = hops > 0 ? req.headers['x-forwarded-proto'] : undefined;
  headers['x-forwarded-proto'] =
    proto ?? ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
  const host = (hops > 0 ? req.headers['x-forwarded-host'] : undefined) ?? req.headers.host;
  if (host) headers['x-forwarded-host'] = host;
  if (hops > 0 && req.headers.forwarded) headers.forwarded = req.headers.forwarded;
  return headers;
}

/** Why this request's framing cannot be forwarded as is, if it cannot. */
function framingProblem(req: http.IncomingMessage, upgrade: boolean): [number, string] | undefined {
  const te = req.headers['transfer-encoding'];
  const cl = req.headers['content-length'];
  if (te !== undefined && cl !== undefined) return [400, 'Invalid message framing'];
  // An upgrade request's body is not parsed (what follows the headers belongs to the new protocol).
  if (upgrade && (te !== undefined || (cl !== undefined && cl !== '0'))) {
    return [400, 'An upgrade request cannot have a body'];
  }
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') {
    return [501, 'Transfer-Encoding is not supported'];
  }
  return undefined;
}

function sendJson(res: http.ServerResponse, status: number, message: string, close = false): void {
  const span = spans.get(res);
  const traceresponse = span && traceresponseOf(span.spanContext());
  endSpan(res, status);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(message);
  // The unread body of a refused request must not be parsed as the next request.
  if (close) res.shouldKeepAlive = false;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(traceresponse ? { traceresponse } : {}),
  });
  res.end(body);
}

/** A complete response on a raw socket (client errors, upgrades), then the socket is closed. */
function rawJson(socket: net.Socket, status: number, message: string): void {
  const body = errorBody(message);
  // Read and drop what the client sends meanwhile: a close with unread data resets the answer away.
  socket.resume();
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}

/**
 * The response headers the client gets: without hop-by-hop ones (those Connection names included);
 * with `traceresponse` naming the gateway's span when there is one (the outermost server's).
 */
function responseHeaders(res: http.IncomingMessage, traceresponse?: string): [string, string][] {
  const named = connectionTokens(res.headers.connection);
  const out: [string, string][] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (named.has(lower) && !FRAMING.has(lower))) continue;
    if (traceresponse && lower === 'traceresponse') continue;
    out.push([name, res.rawHeaders[i + 1]!]);
  }
  if (traceresponse) out.push(['traceresponse', traceresponse]);
  return out;
}

/** The gateway's span of a response being answered, if it has one. */
const spans = new WeakMap<http.ServerResponse, Span>();

/** Ends the response's span with its status (once; later calls do nothing). */
function endSpan(res: http.ServerResponse, status: number): void {
  const span = spans.get(res);
  if (!span) return;
  spans.delete(res);
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Starts the gateway on `port` (0 = any free port) and host (default 127.0.0.1). */
export async function startGateway(
  options: GatewayOptions & { port?: number; host?: string },
): Promise<Gateway> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout);
  const trust = options.trustProxy ?? 0;
  const trustList = Array.isArray(trust) ? trustedList(trust) : undefined;

  const server = http.createServer(
    {
      headersTimeout,
      requestTimeout,
      // How often node:http looks for clients past those timeouts (default 30 s, too coarse).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
    },
    (req, res) => {
      const started = Date.now();
      const problem = framingProblem(req, false);
      if (problem) {
        sendJson(res, problem[0], problem[1], true);
        return;
      }
      const route = matchRoute(options.routes, req.url ?? '/');
      if (!route) {
        sendJson(res, 404, 'Not found');
        return;
      }
      const service = route.service;
      const method = req.method ?? 'GET';
      const parent = extractW3CHeaders(req.headers);
      const span = options.tracer?.startSpan(
        `${method} ${route.prefix}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': method,
            'http.route': route.prefix,
            'url.path': (req.url ?? '/').split('?')[0],
            'ticketing.upstream': service,
          },
        },
        parent,
      );
      const traceresponse = span && traceresponseOf(span.spanContext());
      if (span) {
        spans.set(res, span);
        // A client that goes away mid-answer still ends the span.
        res.on('close', () => endSpan(res, res.statusCode));
      }
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

      const headers = forwardedHeaders(req, false, trust, trustList);
      if (span) injectW3CHeaders(trace.setSpan(parent, span), headers);
      const upstreamReq = http.request({
        host: target.host,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      });
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        options.onError?.({
          service,
          url: req.url ?? '/',
          error: new Error(`no answer in ${upstreamTimeoutMs} ms`),
        });
        upstreamReq.destroy();
        finish(504);
        // The client may still be sending a body nobody will read: end the connection with the answer.
        sendJson(res, 504, TIMEOUT, true);
      }, upstreamTimeoutMs);
      upstreamReq.on('response', (upstreamRes) => {
        if (settled) {
          upstreamRes.destroy();
          return;
        }
        settled = true;
        clearTimeout(timer);
        res.writeHead(
          upstreamRes.statusCode ?? 502,
          upstreamRes.statusMessage,
          responseHeaders(upstreamRes, traceresponse),
        );
        upstreamRes.pipe(res);
        upstreamRes.on('error', () => res.destroy());
        res.on('finish', () => finish(upstreamRes.statusCode ?? 0));
      });
      let clientGone = false;
      upstreamReq.on('error', (error) => {
        clearTimeout(timer);
        if (clientGone || settled) return;
        settled = true;
        options.onError?.({ service, url: req.url ?? '/', error });
        if (!res.headersSent) finish(502);
        sendJson(res, 502, UNAVAILABLE, true);
      });
      // The client went away: stop the upstream work too.
      res.on('close', () => {
        clearTimeout(timer);
        if (!res.writableFinished) {
          clientGone = true;
          upstreamReq.destroy();
        }
      });
      req.pipe(upstreamReq);
    },
  );

  // Malformed requests (bad framing included) and clients too slow with their request.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: net.Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') rawJson(socket, 408, 'Request timeout');
    else if (error.code === 'HPE_HEADER_OVERFLOW') rawJson(socket, 431, 'Request headers are too large');
    else if (
      error.code === 'HPE_INVALID_TRANSFER_ENCODING' ||
      error.code === 'HPE_UNEXPECTED_CONTENT_LENGTH' ||
      error.code === 'HPE_INVALID_CONTENT_LENGTH' ||
      error.code === 'HPE_INVALID_CHUNK_SIZE'
    )
      rawJson(socket, 400, 'Invalid message framing');
    else rawJson(socket, 400, 'Malformed HTTP request');
  });

  // Upgraded connections are not HTTP connections any more: close() ends them itself.
  const tunnels = new Set<net.Socket>();
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    socket.on('error', () => socket.destroy());
    const problem = framingProblem(req, true);
    if (problem) return rawJson(socket, problem[0], problem[1]);
    const route = matchRoute(options.routes, req.url ?? '/');
    if (!route) return rawJson(socket, 404, 'Not found');
    const target = options.upstream(route.service);
    if (!target) return rawJson(socket, 502, UNAVAILABLE);
    const mayUpgrade = route.upgrade === true;
    // Never forwarded: read and dropped (see rawJson).
    if (!mayUpgrade) socket.resume();

    // On a route that may not upgrade this is a plain request whose answer ends the connection;
    // bytes the client sent after it (`head`) are never forwarded.
    const upstreamReq = http.request({
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req, mayUpgrade, trust, trustList),
      agent: mayUpgrade ? false : agent,
    });
    let settled = false;
    const settle = () => {
      const first = !settled;
      settled = true;
      clearTimeout(timer);
      return first;
    };
    const timer = setTimeout(() => {
      if (!settle()) return;
      upstreamReq.destroy();
      rawJson(socket, 504, TIMEOUT);
    }, upstreamTimeoutMs);
    upstreamReq.on('upgrade', (upstreamRes, upstreamSocket: net.Socket, upstreamHead: Buffer) => {
      if (!settle()) return upstreamSocket.destroy();
      if (!mayUpgrade) {
        upstreamSocket.destroy();
        return rawJson(socket, 502, UNAVAILABLE);
      }
      let head101 = `HTTP/1.1 101 ${upstreamRes.statusMessage || 'Switching Protocols'}\r\n`;
      for (let i = 0; i < upstreamRes.rawHeaders.length; i += 2) {
        head101 += `${upstreamRes.rawHeaders[i]}: ${upstreamRes.rawHeaders[i + 1]}\r\n`;
      }
      socket.write(`${head101}\r\n`);
      if (upstreamHead.length) socket.write(upstreamHead);
      if (head.length) upstreamSocket.write(head);
      upstreamSocket.pipe(socket);
      socket.pipe(upstreamSocket);
      upstreamSocket.on('error', () => socket.destroy());
      upstreamSocket.on('close', () => socket.destroy());
      socket.on('close', () => upstreamSocket.destroy());
    });
    upstreamReq.on('response', (upstreamRes) => {
      if (!settle()) return upstreamRes.destroy();
      socket.resume();
      let out = `HTTP/1.1 ${upstreamRes.statusCode} ${upstreamRes.statusMessage ?? ''}\r\n`;
      for (const [name, value] of responseHeaders(upstreamRes)) out += `${name}: ${value}\r\n`;
      // Without Content-Length the body is delimited by the close (the chunks were decoded).
      socket.write(`${out}Connection: close\r\n\r\n`);
      upstreamRes.pipe(socket);
      upstreamRes.on('error', () => socket.destroy());
    });
    upstreamReq.on('error', (error) => {
      if (!settle()) return;
      options.onError?.({ service: route.service, url: req.url ?? '/', error });
      rawJson(socket, 502, UNAVAILABLE);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      upstreamReq.destroy();
    });
    upstreamReq.end();
  });

  // Keep-alive sockets must not keep close() waiting.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
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
