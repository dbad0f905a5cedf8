import { cameOverHttps, contentSecurityPolicy, pageSecurityHeaders } from '../security-headers';

const base = { nonce: 'bm9uY2U=', stripe: false, https: false };

function directive(csp: string, name: string): string[] | undefined {
  const found = csp.split('; ').find((d) => d.split(' ')[0] === name);
  return found?.split(' ').slice(1);
}

describe('contentSecurityPolicy', () => {
  it("allows only the page's own nonce'd scripts and forbids framing", () => {
    const csp = contentSecurityPolicy(base);

    expect(directive(csp, 'script-src')).toEqual(["'self'", "'nonce-bm9uY2U='", "'strict-dynamic'"]);
    expect(directive(csp, 'frame-ancestors')).toEqual(["'none'"]);
    expect(directive(csp, 'object-src')).toEqual(["'none'"]);
    expect(directive(csp, 'frame-src')).toEqual(["'none'"]);
    expect(csp).not.toContain('stripe');
    expect(csp).not.toContain('unsafe-eval');
  });

  it('allows Stripe.js, its frames and its API when the Stripe provider is on', () => {
    const csp = contentSecurityPolicy({ ...base, stripe: true });

    expect(directive(csp, 'script-src')).toContain('https://js.stripe.com');
    expect(directive(csp, 'frame-src')).toEqual(
      expect.arrayContaining(['https://js.stripe.com', 'https://hooks.stripe.com']),
    );
    expect(directive(csp, 'connect-src')).toEqual(["'self'", 'https://api.stripe.com']);
  });

  it('upgrades insecure requests only over HTTPS', () => {
    expect(contentSecurityPolicy(base)).not.toContain('upgrade-insecure-requests');
    expect(contentSecurityPolicy({ ...base, https: true })).toContain('upgrade-insecure-requests');
  });

  it("allows eval only under next dev, for React's debugging aids", () => {
    expect(directive(contentSecurityPolicy({ ...base, development: true }), 'script-src')).toContain(
      "'unsafe-eval'",
    );
  });
});

describe('pageSecurityHeaders', () => {
  it('sends nosniff, the referrer policy and a restrictive permissions policy', () => {
    const headers = pageSecurityHeaders(base);

    expect(headers['X-Content-Type-Options']).toBe('nosniff');
    expect(headers['Referrer-Policy']).toBe('strict-origin-when-cross-origin');
    expect(headers['Permissions-Policy']).toContain('camera=()');
    expect(headers['Permissions-Policy']).toContain('payment=()');
    expect(headers['Strict-Transport-Security']).toBeUndefined();
  });

  it('lets Stripe ask for payment when the Stripe provider is on', () => {
    expect(pageSecurityHeaders({ ...base, stripe: true })['Permissions-Policy']).toContain(
      'payment=(self "https://js.stripe.com")',
    );
  });

  it('sends HSTS when the request came over HTTPS', () => {
    expect(pageSecurityHeaders({ ...base, https: true })['Strict-Transport-Security']).toMatch(
      /^max-age=\d+/,
    );
  });
});

describe('cameOverHttps', () => {
  it.each([
    ['https', true],
    ['HTTPS', true],
    ['https, http', true],
    ['http, https', false],
    [null, false],
  ])('reads X-Forwarded-Proto %p as %p', (value, expected) => {
    expect(cameOverHttps(value)).toBe(expected);
  });
});
