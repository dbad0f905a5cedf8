/**
 * The security headers of the site's pages, as one pure function so they can be tested without a
 * server; src/proxy.ts applies them to every page request with a fresh nonce.
 */

export interface PageSecurityOptions {
  /** A fresh, unguessable value per request (base64). Next puts it on its own scripts. */
  nonce: string;
  /** True when STRIPE_PUBLISHABLE_KEY is set: Stripe.js, its frames and its API are allowed. */
  stripe: boolean;
  /** True when the browser reached us over HTTPS (X-Forwarded-Proto: https): HSTS and upgrades. */
  https: boolean;
  /** `next dev`: React needs eval for its debugging aids, and only there. */
  development?: boolean;
}

// Stripe's documented CSP needs (https://docs.stripe.com/security/guide#content-security-policy).
const STRIPE = {
  script: ['https://js.stripe.com', 'https://*.js.stripe.com'],
  frame: ['https://js.stripe.com', 'https://*.js.stripe.com', 'https://hooks.stripe.com'],
  connect: ['https://api.stripe.com'],
  img: ['https://*.stripe.com'],
};

/** The Content-Security-Policy value of a page. */
export function contentSecurityPolicy({ nonce, stripe, https, development }: PageSecurityOptions): string {
  const extra = (list: string[]) => (stripe ? list : []);
  const directives: [string, ...string[]][] = [
    ['default-src', "'self'"],
    // 'strict-dynamic': scripts the nonce'd ones load (Next's chunks, Stripe.js) are trusted too;
    // 'self' and the hosts only matter to browsers without CSP level 3.
    [
      'script-src',
      "'self'",
      `'nonce-${nonce}'`,
      "'strict-dynamic'",
      ...extra(STRIPE.script),
      ...(development ? ["'unsafe-eval'"] : []),
    ],
    // Inline style attributes (React's style={...}, Stripe's elements) cannot carry a nonce.
    ['style-src', "'self'", "'unsafe-inline'"],
    ['img-src', "'self'", 'data:', 'blob:', ...extra(STRIPE.img)],
    ['font-src', "'self'"],
    ['connect-src', "'self'", ...extra(STRIPE.connect)],
    ['frame-src', ...(stripe ? STRIPE.frame : ["'none'"])],
    ['object-src', "'none'"],
    ['base-uri', "'self'"],
    ['form-action', "'self'"],
    ['frame-ancestors', "'none'"],
  ];
  // Only over HTTPS: on plain-HTTP local runs it would send every asset request to a port with no TLS.
  if (https) directives.push(['upgrade-insecure-requests']);
  return directives.map((d) => d.join(' ')).join('; ');
}

/** Every security header of a page response, CSP included. */
export function pageSecurityHeaders(options: PageSecurityOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Security-Policy': contentSecurityPolicy(options),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
    // Nothing here uses them; payment only for Stripe's frames (wallet buttons) when Stripe is on.
    'Permissions-Policy': [
      'camera=()',
      'microphone=()',
      'geolocation=()',
      'usb=()',
      options.stripe ? 'payment=(self "https://js.stripe.com")' : 'payment=()',
    ].join(', '),
  };
  // Browsers ignore HSTS received over plain HTTP; sending it only over HTTPS keeps local runs usable.
  if (options.https) headers['Strict-Transport-Security'] = 'max-age=63072000; includeSubDomains';
  return headers;
}

/** True when the first proxy hop says the browser used HTTPS. */
export function cameOverHttps(forwardedProto: string | null): boolean {
  return forwardedProto?.split(',')[0]?.trim().toLowerCase() === 'https';
}
