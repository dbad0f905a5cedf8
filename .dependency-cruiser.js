/** Architecture boundaries, checked in CI (`npm run lint`). */
const services = ['auth', 'tickets', 'orders', 'expiration', 'payments'];

module.exports = {
  forbidden: [
    ...services.map((s) => ({
      name: `${s}-imports-no-other-service`,
      comment: 'Services never call or import each other: they share only events, through common.',
      severity: 'error',
      from: { path: `^${s}/` },
      to: { path: `^(${services.filter((o) => o !== s).join('|')}|client|system)/` },
    })),
    {
      name: 'common-imports-no-service',
      comment: 'common is a library: it knows no service.',
      severity: 'error',
      from: { path: '^common/' },
      to: { path: `^(${services.join('|')}|client|system|infra)/` },
    },
    {
      name: 'domain-imports-no-route',
      comment: 'Domain functions know nothing of HTTP routes or event consumers.',
      severity: 'error',
      from: { path: '^[^/]+/src/domain/' },
      to: { path: '^[^/]+/src/(routes|events)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^(common|auth|tickets|orders|expiration|payments)/src' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|\\.next|node_modules|coverage)/' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
  },
};
