/** Architecture boundaries, checked in CI (`npm run lint`). */
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

/**
 * The services, from common's service catalog. Lint runs before any build, so the catalog's
 * TypeScript (which imports types only) is transpiled and evaluated here rather than required from dist.
 */
function catalogServices() {
  const file = path.join(__dirname, 'common/src/services/catalog.ts');
  const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', outputText)(mod, mod.exports, () => ({}));
  return Object.keys(mod.exports.serviceCatalog);
}

const services = catalogServices();

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
      from: { path: `^(common|${services.join('|')})/src` },
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
