import path from 'node:path';
import type { NextConfig } from 'next';

// The monorepo hoists node_modules to its root, so file tracing (standalone output) and Turbopack
// both need to look one level up.
const monorepoRoot = path.join(__dirname, '..');

const nextConfig: NextConfig = {
  output: 'standalone',
  poweredByHeader: false,
  reactStrictMode: true,
  outputFileTracingRoot: monorepoRoot,
  turbopack: { root: monorepoRoot },
  images: { unoptimized: true },
  // `next dev` behind the cluster's gateway (skaffold dev) is loaded from this host. Next 16 already
  // allows *.localhost for its dev assets and HMR websocket; naming it keeps that independent of the
  // default (another dev host must be added here, or Next answers its /_next requests 403).
  allowedDevOrigins: ['ticketing.localhost'],
  // On everything, static assets included; pages get the rest (CSP, HSTS...) from src/proxy.ts.
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
        ],
      },
    ];
  },
};

export default nextConfig;
