/**
 * The client's configuration: the only place that reads `process.env`. Read on the server at
 * request time (pages are dynamic), never inlined into the browser bundle.
 */
export interface ClientConfig {
  /** API_BASE_URL: where server-side requests go (the gateway, from inside). Default http://localhost:3000. */
  apiBaseUrl: string;
  /** STRIPE_PUBLISHABLE_KEY: when set, the order page shows Stripe's Payment Element; otherwise the sandbox test cards. */
  stripePublishableKey: string | null;
  /** API_TIMEOUT_MS: how long a server-side API call may take before the page shows a friendly fallback. Default 5000. */
  apiTimeoutMs: number;
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): ClientConfig {
  const rawBase = env.API_BASE_URL?.trim() || 'http://localhost:3000';
  let apiBaseUrl: string;
  try {
    const url = new URL(rawBase);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    apiBaseUrl = url.toString().replace(/\/+$/, '');
  } catch {
    throw new Error(`API_BASE_URL must be an http(s) URL, got "${rawBase}"`);
  }

  const rawTimeout = env.API_TIMEOUT_MS?.trim();
  const apiTimeoutMs = rawTimeout ? Number(rawTimeout) : 5000;
  if (!Number.isInteger(apiTimeoutMs) || apiTimeoutMs <= 0) {
    throw new Error(`API_TIMEOUT_MS must be a positive integer, got "${rawTimeout}"`);
  }

  const key = env.STRIPE_PUBLISHABLE_KEY?.trim();
  return { apiBaseUrl, stripePublishableKey: key ? key : null, apiTimeoutMs };
}
