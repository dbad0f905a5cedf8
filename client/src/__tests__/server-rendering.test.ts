/**
 * The production build, served by `next start`, against a fake API on a free port that answers
 * like the contract says (or fails on purpose). Checks what a first visit gets: server-rendered
 * HTML, with the signed-in user's email and the tickets for sale, and friendly states when the
 * API is down.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureBuilt, startClient, type RunningClient } from '../test-support/production-server';

type Mode = 'up' | 'down' | 'broken';

interface FakeApi {
  url: string;
  mode: Mode;
  seen: { path: string; cookie?: string; proto?: string; host?: string }[];
  close: () => Promise<void>;
}

const USER = { id: 'user-a', email: 'alice@example.com', iat: 1, exp: 2 };
const TICKET = {
  id: '6f1c2b1e-8a4b-4a4e-9a8e-0d3c2f1b5a77',
  title: 'Jazz at the Barbican',
  price: 19.99,
  userId: 'user-b',
  version: 0,
  orderId: null,
};

async function startFakeApi(): Promise<FakeApi> {
  const api: FakeApi = { url: '', mode: 'up', seen: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    api.seen.push({
      path: req.url ?? '',
      cookie: req.headers.cookie,
      proto: req.headers['x-forwarded-proto'] as string | undefined,
      host: req.headers['x-forwarded-host'] as string | undefined,
    });
    if (api.mode === 'down') return req.socket.destroy();
    if (api.mode === 'broken') {
      res.writeHead(502, { 'content-type': 'text/html' });
      return res.end('<html>Bad gateway</html>');
    }
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const signedIn = /(^|;\s*)session=/.test(req.headers.cookie ?? '');
    if (req.url === '/api/users/currentuser') return json(200, { currentUser: signedIn ? USER : null });
    if (req.url === '/api/tickets') return json(200, [TICKET]);
    if (req.url === `/api/tickets/${TICKET.id}`) return json(200, TICKET);
    if (req.url === '/api/users/signout' && req.method === 'POST') {
      res.setHeader(
        'set-cookie',
        'session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
      );
      return json(200, {});
    }
    return json(404, { errors: [{ message: 'Not found' }] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return api;
}

let api: FakeApi;
let client: RunningClient;

beforeAll(async () => {
  ensureBuilt();
  api = await startFakeApi();
  client = await startClient({ API_BASE_URL: api.url, API_TIMEOUT_MS: '2000' });
}, 300_000);

afterAll(async () => {
  await client?.stop();
  await api?.close();
});

beforeEach(() => {
  api.mode = 'up';
  api.seen = [];
});

async function getHtml(
  path: string,
  cookie?: string,
): Promise<{ status: number; html: string; res: Response }> {
  const res = await fetch(`${client.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: res.status, html: await res.text(), res };
}

describe('GET / (server-rendered)', () => {
  it('shows the tickets for sale and Sign in / Sign up links to a signed-out visitor', async () => {
    const { status, html } = await getHtml('/');
    expect(status).toBe(200);
    expect(html).toContain('Jazz at the Barbican');
    expect(html).toContain('$19.99');
    expect(html).toContain(`href="/tickets/${TICKET.id}"`);
    expect(html).toMatch(/<a[^>]*href="\/auth\/signin"[^>]*>Sign in<\/a>/);
    expect(html).toMatch(/<a[^>]*href="\/auth\/signup"[^>]*>Sign up<\/a>/);
    expect(html).not.toContain('Sign out');
  });

  it("renders the signed-in user's email in the header, forwarding the browser's cookie to the API", async () => {
    const { html } = await getHtml('/', 'session=eyJqd3QiOiJ4In0=');
    expect(html).toContain('alice@example.com');
    expect(html).toContain('Sell tickets');
    expect(html).toContain('My orders');
    expect(html).toContain('Sign out');
    const currentUserCall = api.seen.find((s) => s.path === '/api/users/currentuser');
    expect(currentUserCall?.cookie).toBe('session=eyJqd3QiOiJ4In0=');
    expect(currentUserCall?.proto).toBe('http');
    expect(currentUserCall?.host).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('says tickets are unavailable, with a Sign in link, when the API is unreachable', async () => {
    api.mode = 'down';
    const { status, html } = await getHtml('/');
    expect(status).toBe(200);
    expect(html).toContain('Tickets are unavailable right now');
    expect(html).toMatch(/href="\/auth\/signin"/);
  });

  it('says tickets are unavailable when the gateway answers 502 with HTML', async () => {
    api.mode = 'broken';
    const { status, html } = await getHtml('/');
    expect(status).toBe(200);
    expect(html).toContain('Tickets are unavailable right now');
  });
});

describe('other pages', () => {
  it('server-renders a ticket with a Purchase button for a signed-in buyer', async () => {
    const { status, html } = await getHtml(`/tickets/${TICKET.id}`, 'session=abc');
    expect(status).toBe(200);
    expect(html).toContain('Jazz at the Barbican');
    expect(html).toContain('Purchase');
    expect(html).toContain('alice@example.com');
  });

  it('answers 404 with a friendly page for an unknown ticket', async () => {
    const { status, html } = await getHtml('/tickets/00000000-0000-4000-8000-000000000000');
    expect(status).toBe(404);
    expect(html).toContain('Page not found');
  });

  it('renders a friendly page for a ticket when the API is down', async () => {
    api.mode = 'down';
    const { status, html } = await getHtml(`/tickets/${TICKET.id}`);
    expect(status).toBe(200);
    expect(html).toContain('unavailable right now');
  });

  it('renders the sign-in form with labelled inputs', async () => {
    const { status, html } = await getHtml('/auth/signin');
    expect(status).toBe(200);
    expect(html).toMatch(/<label for="email">Email<\/label>/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
  });

  it('sends a signed-out visitor from /orders to sign in, coming back afterwards', async () => {
    const { status, res } = await getHtml('/orders');
    expect(status).toBe(307);
    expect(res.headers.get('location')).toMatch(/\/auth\/signin\?next=(%2F|\/)orders$/);
  });

  it('signs out: forwards the API cookie-clearing header and redirects home', async () => {
    const res = await fetch(`${client.url}/auth/signout`, {
      method: 'POST',
      headers: { cookie: 'session=abc' },
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect(res.headers.get('set-cookie')).toMatch(/^session=;/);
    expect(api.seen.find((s) => s.path === '/api/users/signout')?.cookie).toBe('session=abc');
  });

  it('refuses to sign out on a GET (a link or prefetch), leaving the session alone', async () => {
    const res = await fetch(`${client.url}/auth/signout`, {
      headers: { cookie: 'session=abc' },
      redirect: 'manual',
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(api.seen.some((s) => s.path === '/api/users/signout')).toBe(false);
  });

  it('still clears the session cookie on sign-out when the API is down', async () => {
    api.mode = 'down';
    const res = await fetch(`${client.url}/auth/signout`, {
      method: 'POST',
      headers: { cookie: 'session=abc' },
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/session=;.*Max-Age=0/i);
  });
});

describe('probes', () => {
  it('GET /healthz answers 200 {status: ok}', async () => {
    const res = await fetch(`${client.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 even when the API is down', async () => {
    api.mode = 'down';
    const res = await fetch(`${client.url}/readyz`);
    expect(res.status).toBe(200);
  });

  it('does not announce the framework', async () => {
    const res = await fetch(`${client.url}/`);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('security headers on pages', () => {
  it('sends a nonce CSP matching the nonce on every server-rendered script, with frame-ancestors none', async () => {
    const { html, res } = await getHtml('/');
    const csp = res.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    const scriptNonces = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => /nonce="([^"]+)"/.exec(m[0])?.[1]);

    expect(nonce).toBeTruthy();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(scriptNonces.length).toBeGreaterThan(0);
    expect(new Set(scriptNonces)).toEqual(new Set([nonce]));
  });

  it('uses a fresh nonce on every request', async () => {
    const first = (await getHtml('/')).res.headers.get('content-security-policy');
    const second = (await getHtml('/')).res.headers.get('content-security-policy');

    expect(first).not.toBe(second);
  });

  it('sends nosniff, the referrer policy and a permissions policy, and no HSTS over plain HTTP', async () => {
    const { res } = await getHtml('/auth/signin');

    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.headers.get('permissions-policy')).toContain('camera=()');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('sends HSTS when the request came over HTTPS through the gateway', async () => {
    const res = await fetch(`${client.url}/`, { headers: { 'x-forwarded-proto': 'https' } });

    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(res.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
  });

  it('sends nosniff on static assets too', async () => {
    const { html } = await getHtml('/');
    const asset = /src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
    const res = await fetch(`${client.url}${asset}`);

    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
