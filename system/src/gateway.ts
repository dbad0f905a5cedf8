/**
 * The local gateway: a small streaming reverse proxy that routes by infra/routes.json (the same
 * table the Kubernetes Ingress and HTTPRoute are generated from). Bodies are piped, never
 * buffered; Host is preserved; Set-Cookie passes through; an unreachable upstream answers 502 and
 * a silent one 504, in the API's error shape.
 *
 * Why our own and not a proxy library: what this gateway must get right is exactly what libraries
 * such as http-proxy(-3) leave to the caller (they forward request headers as received, hop-by-hop
 * ones included, tunnel any websocket upgrade to any target and append to the client's
 * X-Forwarded-For), so we would wrap the same checks around them; node:http already does the
 * parsing and the pooling, and the rest is a few dozen lines we can test with raw sockets. Nor is
 * a library faster: measured against a gateway on http-proxy-3 (bench/gateways.ts, results in
 * bench/results/gateways.md), ours spends about a fifth less CPU per proxied request.
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
 * Replicas, as a Kubernetes Service balances over its pods:
 * - A service may have several upstreams; requests go round-robin to those whose readiness
 *   (`readinessPath`, probed every `healthCheckIntervalMs`) last passed. A replica that begins
 *   draining answers 503 there and gets nothing new. When none passes, every replica is tried
 *   (Envoy's "panic" routing): a readiness failing on a shared dependency must not turn into
 *   refusing every request.
 * - A request is retried on another replica only when its connection failed before it was
 *   established (refused, reset or unreachable during connect): the request body is piped only
 *   once the socket is connected, so until then not one byte has left and the body is unread. Once
 *   connected (or on a reused keep-alive socket) the request may have reached the service, and an
 *   error is a 502, never a second attempt, with the one exception below.
 * - A kept-alive upstream connection the service closes just as it is reused costs no 502 for a
 *   safe request without a body: it is sent again on a new connection.
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
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { extractW3CHeaders, traceresponseOf } from '@ticketing/common/telemetry';
import { matchRoute, type Route } from './routes';

/** Where one replica of a service listens. */
export interface Upstream {
  host: string;
  port: number;
}

/**
 * Where a service listens: one upstream, its replicas, or undefined/[] when it is not running
 * (the gateway then answers 502).
 */
export type UpstreamResolver = (service: string) => Upstream | readonly Upstream[] | undefined;

/** What the health checks last saw of one replica. */
export interface UpstreamState extends Upstream {
  /** Its readiness last passed (true until checked when the gateway has no `readinessPath`). */
  ready: boolean;
}

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
  /** How often each replica's readiness is probed (with `readinessPath`). Default 1 s. */
  healthCheckIntervalMs?: number;
  /** A probe not answered within this counts as not ready. Default 1 s. */
  healthCheckTimeoutMs?: number;
}

export interface GatewayOptions extends GatewaySettings {
  routes: Route[];
  upstream: UpstreamResolver;
  /**
   * GET path every replica of every routed service answers 200 on when it takes requests (routes.json's
   * `readinessPath`, the Kubernetes readinessProbe's). Without it there are no health checks and
   * every replica counts as ready.
   */
  readinessPath?: string;
  /**
   * Answers requests for a service that has no upstream instead of the 502 (the system uses it
   * for the "client not built" placeholder page).
   */
  fallback?: (service: string, req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /** Called once per proxied request when it finishes (for access logs / metrics). */
  onRequest?: (info: { method: string; url: string; service: string; status: number; ms: number }) => void;
  /**
   * Called when a request fails at an upstream (502, 504): `upstream` is the replica it was sent to
   * last (undefined when there was none).
   */
  onError?: (info: { service: string; url: string; upstream?: Upstream; error: Error }) => void;
  /** Called when a replica could not be connected to and the request goes to another one. */
  onRetry?: (info: { service: string; url: string; upstream: Upstream; error: Error }) => void;
  /** Makes a server span per proxied request (see above); none when omitted. */
  tracer?: Tracer;
}

export interface Gateway {
  server: http.Server;
  port: number;
  url: string;
  /** Each replica of a routed service and whether the gateway sends it requests ([] for others). */
  upstreams(service: string): UpstreamState[];
  /**
   * Resolves once the gateway has seen the replica at `port` ready (a rolling restart waits for
   * this before it stops the next replica); rejects after `timeoutMs`.
   */
  waitUntilReady(service: string, port: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_HEALTH_CHECK_INTERVAL_MS = 1_000;
/** How long an idle keep-alive socket to a service is kept (the services close theirs after 5 s). */
const UPSTREAM_IDLE_MS = 2_000;
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 1_000;

/**
 * The gateway settings of `npm start`: GATEWAY_UPSTREAM_TIMEOUT_MS, GATEWAY_HEADERS_TIMEOUT_MS,
 * GATEWAY_REQUEST_TIMEOUT_MS, GATEWAY_HEALTH_CHECK_INTERVAL_MS, GATEWAY_HEALTH_CHECK_TIMEOUT_MS and
 * TRUST_PROXY (a hop count, or comma-separated addresses/CIDRs).
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
    healthCheckIntervalMs: ms('GATEWAY_HEALTH_CHECK_INTERVAL_MS'),
    healthCheckTimeoutMs: ms('GATEWAY_HEALTH_CHECK_TIMEOUT_MS'),
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

/** Safe methods (RFC 9110 §9.2.1): sending one twice changes nothing on the service. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether the request carries a body (one that was streamed upstream cannot be sent again). */
function hasBody(req: http.IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

const errorBody = (message: string) => JSON.stringify({ errors: [{ message }] });
const UNAVAILABLE = 'Service unavailable';
const TIMEOUT = 'Gateway timeout';

const NO_TOKENS: ReadonlySet<string> = new Set();

function connectionTokens(value: string | string[] | undefined): ReadonlySet<string> {
  // Nearly every message says `keep-alive` or `close` or nothing: hop-by-hop already, nothing to add.
  if (value === undefined || value === 'keep-alive' || value === 'close') return NO_TOKENS;
  return new Set(
    (Array.isArray(value) ? value.join(',') : value)
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
  for (const name in req.headers) {
    const value = req.headers[name];
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
  // Trusting no proxy (the default) the client's X-Forwarded-* are not even read.
  const sent =
    trust === 0
      ? []
      : String(req.headers['x-forwarded-for'] ?? '')
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

function sendJson(
  res: http.ServerResponse,
  status: number,
  message: string,
  close = false,
  span?: RequestSpan,
): void {
  const traceresponse = span?.traceresponse;
  span?.end(status);
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
  const raw = res.rawHeaders;
  // Read Connection from the raw list: `res.headers` would build a second copy of every header.
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection')
      connection = connection === undefined ? raw[i + 1] : `${connection}, ${raw[i + 1]}`;
  }
  const named = connectionTokens(connection?.toLowerCase());
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (named.has(lower) && !FRAMING.has(lower))) continue;
    if (traceresponse && lower === 'traceresponse') continue;
    out.push([name, raw[i + 1]!]);
  }
  if (traceresponse) out.push(['traceresponse', traceresponse]);
  return out;
}

const keyOf = (u: Upstream) => `${u.host}:${u.port}`;

function asList(resolved: Upstream | readonly Upstream[] | undefined): readonly Upstream[] {
  if (!resolved) return [];
  return Array.isArray(resolved) ? resolved : [resolved as Upstream];
}

/** Round-robin over the ready replicas of each service, fed by active (and passive) health checks. */
class Balancer {
  /** Readiness by upstream key; absent = not yet checked. */
  private readonly ready = new Map<string, boolean>();
  private readonly turn = new Map<string, number>();
  private readonly probing = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly resolve: UpstreamResolver,
    private readonly services: string[],
    private readonly readinessPath: string | undefined,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {}

  isReady(u: Upstream): boolean {
    return this.readinessPath === undefined || this.ready.get(keyOf(u)) === true;
  }

  states(service: string): UpstreamState[] {
    // A service no route leads to has no upstreams here, whatever the resolver knows of it.
    if (!this.services.includes(service)) return [];
    return asList(this.resolve(service)).map((u) => ({ host: u.host, port: u.port, ready: this.isReady(u) }));
  }

  /** The next replica for a request, none of `tried`: a ready one, else (panic) any. */
  pick(service: string, targets: readonly Upstream[], tried: Set<string>): Upstream | undefined {
    const untried = targets.filter((u) => !tried.has(keyOf(u)));
    const ready = untried.filter((u) => this.isReady(u));
    const pool = ready.length > 0 ? ready : untried;
    if (pool.length === 0) return undefined;
    const n = this.turn.get(service) ?? 0;
    this.turn.set(service, n + 1);
    return pool[n % pool.length];
  }

  /** A connection to it failed: no more requests until a probe passes again. */
  markDown(u: Upstream): void {
    if (this.readinessPath !== undefined) this.set(keyOf(u), false);
  }

  /** Probes every replica once (and waits for it), then keeps probing every interval. */
  async start(): Promise<void> {
    if (this.readinessPath === undefined) return;
    await this.round();
    this.timer = setInterval(() => void this.round(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`the gateway did not see ${what} ready within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private set(key: string, ready: boolean): void {
    this.ready.set(key, ready);
    for (const w of [...this.waiters]) w();
  }

  private async round(): Promise<void> {
    const targets = new Map<string, Upstream>();
    for (const service of this.services)
      for (const u of asList(this.resolve(service))) targets.set(keyOf(u), u);
    await Promise.all(
      [...targets].map(async ([key, u]) => {
        // A probe still waiting (a stopped process) is not stacked with another.
        if (this.probing.has(key)) return;
        this.probing.add(key);
        try {
          this.set(key, await this.probe(u));
        } finally {
          this.probing.delete(key);
        }
      }),
    );
  }

  private probe(u: Upstream): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.get(
        { host: u.host, port: u.port, path: this.readinessPath, agent: false, timeout: this.timeoutMs },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(false));
    });
  }
}

/** The gateway's server span of one proxied request. */
class RequestSpan {
  /** Its `traceresponse` value, which is also the `traceparent` the upstream gets. */
  readonly traceresponse: string | undefined;
  private ended = false;

  constructor(private readonly span: Span) {
    this.traceresponse = traceresponseOf(span.spanContext());
  }

  /**
   * Sets the span as the parent on the upstream request's headers: `traceparent` carries the same
   * four fields as `traceresponse` (version, trace id, span id, flags), and a `tracestate` the
   * client sent goes on. Written directly rather than through a propagator and a new context,
   * which cost about a tenth of the gateway's time per request.
   */
  propagate(headers: http.OutgoingHttpHeaders): void {
    delete headers.tracestate;
    if (!this.traceresponse) {
      delete headers.traceparent;
      return;
    }
    headers.traceparent = this.traceresponse;
    const state = this.span.spanContext().traceState?.serialize();
    if (state) headers.tracestate = state;
  }

  /** Ends it with the response's status (once; later calls do nothing). */
  end(status: number): void {
    if (this.ended) return;
    this.ended = true;
    this.span.setAttribute('http.response.status_code', status);
    if (status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end();
  }
}

/** Starts the gateway on `port` (0 = any free port) and host (default 127.0.0.1). */
export async function startGateway(
  options: GatewayOptions & { port?: number; host?: string },
): Promise<Gateway> {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: 256,
    maxFreeSockets: 64,
    // An idle upstream socket is dropped here well before the service's keep-alive timeout (5 s)
    // closes it there: a request written as the service closes the socket would get a reset after
    // it may have been read, which is a 502 and cannot be retried. (Without this option Node keeps
    // free sockets forever and ignores the server's Keep-Alive hint.)
    timeout: UPSTREAM_IDLE_MS,
  });
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout);
  const trust = options.trustProxy ?? 0;
  const trustList = Array.isArray(trust) ? trustedList(trust) : undefined;
  const balancer = new Balancer(
    options.upstream,
    [...new Set(options.routes.map((r) => r.service))],
    options.readinessPath,
    options.healthCheckIntervalMs ?? DEFAULT_HEALTH_CHECK_INTERVAL_MS,
    options.healthCheckTimeoutMs ?? DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
  );

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
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const span =
        options.tracer &&
        new RequestSpan(
          options.tracer.startSpan(
            `${method} ${route.prefix}`,
            {
              kind: SpanKind.SERVER,
              attributes: {
                'http.request.method': method,
                'http.route': route.prefix,
                'url.path': query < 0 ? url : url.slice(0, query),
                'ticketing.upstream': service,
              },
            },
            extractW3CHeaders(req.headers),
          ),
        );
      const traceresponse = span?.traceresponse;
      const finish = (status: number) =>
        options.onRequest?.({
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          service,
          status,
          ms: Date.now() - started,
        });
      const targets = asList(options.upstream(service));
      if (targets.length === 0) {
        if (span) res.on('close', () => span.end(res.statusCode));
        if (options.fallback?.(service, req, res)) return;
        sendJson(res, 502, UNAVAILABLE, false, span);
        finish(502);
        return;
      }

      // A kept-alive connection the service is closing just as it is reused fails before any
      // answer (ECONNRESET). A request with a safe method and no body is then sent once more, on
      // another connection; any other gets the 502 (it may have had an effect).
      const retryable = SAFE_METHODS.has(req.method ?? '') && !hasBody(req);
      let resentOnce = false;
      const headers = forwardedHeaders(req, false, trust, trustList);
      const tried = new Set<string>();
      let current: http.ClientRequest | undefined;
      let currentTarget: Upstream | undefined;
      span?.propagate(headers);
      let settled = false;
      let clientGone = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        options.onError?.({
          service,
          url: req.url ?? '/',
          upstream: currentTarget,
          error: new Error(`no answer in ${upstreamTimeoutMs} ms`),
        });
        current?.destroy();
        finish(504);
        // The client may still be sending a body nobody will read: end the connection with the answer.
        sendJson(res, 504, TIMEOUT, true, span);
      }, upstreamTimeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        if (clientGone || settled) return;
        settled = true;
        options.onError?.({ service, url: req.url ?? '/', upstream: currentTarget, error });
        if (!res.headersSent) finish(502);
        sendJson(res, 502, UNAVAILABLE, true, span);
      };
      res.on('close', () => {
        clearTimeout(timer);
        // The client went away: stop the upstream work too.
        if (!res.writableFinished) {
          clientGone = true;
          current?.destroy();
        }
        // Answered, or not (a client gone mid-answer): the span ends either way.
        span?.end(res.statusCode);
      });

      const attempt = (lastError?: Error) => {
        const target = balancer.pick(service, targets, tried);
        if (!target) return fail(lastError ?? new Error('no upstream'));
        tried.add(keyOf(target));
        currentTarget = target;
        const upstreamReq = http.request({
          host: target.host,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        });
        current = upstreamReq;
        // Whether a byte may have reached this replica: from the moment its socket is connected.
        let sending = false;
        upstreamReq.on('socket', (socket) => {
          const send = () => {
            if (sending || upstreamReq.destroyed) return;
            sending = true;
            // Without a body there is nothing to pipe (and a resent request's was read already).
            if (retryable) upstreamReq.end();
            else req.pipe(upstreamReq);
          };
          if (socket.connecting) socket.once('connect', send);
          else send();
        });
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
          if (options.onRequest) res.on('finish', () => finish(upstreamRes.statusCode ?? 0));
        });
        upstreamReq.on('error', (error) => {
          if (clientGone || settled) return;
          if (!sending) {
            // Never connected: the request is untouched and this replica is gone or going.
            balancer.markDown(target);
            options.onRetry?.({ service, url: req.url ?? '/', upstream: target, error });
            attempt(error);
            return;
          }
          const code = (error as NodeJS.ErrnoException).code;
          if (retryable && !resentOnce && upstreamReq.reusedSocket && code === 'ECONNRESET') {
            resentOnce = true;
            tried.delete(keyOf(target));
            attempt(error);
            return;
          }
          fail(error);
        });
      };
      attempt();
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
    const target = balancer.pick(route.service, asList(options.upstream(route.service)), new Set());
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
      options.onError?.({ service: route.service, url: req.url ?? '/', upstream: target, error });
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
  // The first requests already go to ready replicas only.
  await balancer.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => {
      balancer.stop();
      reject(err);
    });
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    upstreams: (service) => balancer.states(service),
    waitUntilReady: (service, upstreamPort, timeoutMs = 30_000) =>
      balancer.waitUntil(
        () => balancer.states(service).some((u) => u.port === upstreamPort && u.ready),
        timeoutMs,
        `${service} on port ${upstreamPort}`,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        balancer.stop();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const t of tunnels) t.destroy();
        agent.destroy();
      }),
  };
}
