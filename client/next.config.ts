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
};

export default nextConfig;
