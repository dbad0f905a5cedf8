import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * What `npm publish` would ship, read from `npm pack --dry-run` (scripts off: the test reads the
 * dist/ that `npm test` built, rather than rebuilding it under other test files' feet).
 */
const commonDir = path.join(__dirname, '..', '..');
const pkg = require(path.join(commonDir, 'package.json'));
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: commonDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }),
) as [{ name: string; files: { path: string }[] }];
const files = packed.files.map((f) => f.path);

/** Every file an `exports` or `bin` entry points at (wildcard targets aside). */
function targets(value: unknown): string[] {
  if (typeof value === 'string') return value.includes('*') ? [] : [path.posix.normalize(value)];
  return Object.values(value as object).flatMap(targets);
}

describe('the @ticketing/common package', () => {
  it('holds the compiled entry point, its type declarations and the README', () => {
    expect(packed.name).toBe('@ticketing/common');
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'README.md']));
  });

  it('holds every file its exports map and bin entries name', () => {
    const named = [...targets(pkg.exports), ...targets(pkg.bin)];
    expect(named.length).toBeGreaterThan(5);
    expect(files).toEqual(expect.arrayContaining(named));
  });

  it('holds the JSON Schemas of the events', () => {
    expect(files).toEqual(
      expect.arrayContaining(['schemas/envelope.schema.json', 'schemas/order.created.schema.json']),
    );
  });

  it("holds common's own migrations, which migrateDatabase applies", () => {
    expect(files.some((f) => /^dist\/db\/migrations\/.+\.sql$/.test(f))).toBe(true);
  });

  it('holds no tests, fixtures or TypeScript sources', () => {
    expect(files.filter((f) => /__tests__|\.test\.|^src\//.test(f))).toEqual([]);
  });

  it('asks the host app for express, drizzle-orm and pg, so both share one copy', () => {
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['drizzle-orm', 'express', 'pg']);
    expect(pkg.dependencies).not.toHaveProperty('express');
  });

  it('depends on the type packages its declarations import', () => {
    expect(pkg.dependencies).toEqual(
      expect.objectContaining({
        '@types/express': expect.any(String),
        '@types/pg': expect.any(String),
        '@types/node': expect.any(String),
      }),
    );
  });
});
