import fs from 'node:fs';
import path from 'node:path';
import { parseDockerfile } from '../src/dockerfile';
import { apps, repoRoot } from '../src/paths';

/**
 * One Node major everywhere: the one these tests run on (the root's `node` devDependency, first on
 * PATH in npm scripts), `.nvmrc`, every `engines.node` and every Dockerfile's base image.
 */
const runningMajor = process.versions.node.split('.')[0]!;
const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(repoRoot, file), 'utf8'));
const rootPackage = readJson('package.json');
const packageFiles = [
  'package.json',
  ...(rootPackage.workspaces as string[]).map((w) => `${w}/package.json`),
];

describe('the Node version', () => {
  it('is 24 (the current LTS) in the process running the tests', () => {
    expect(runningMajor).toBe('24');
  });

  it('is the running major in .nvmrc', () => {
    expect(fs.readFileSync(path.join(repoRoot, '.nvmrc'), 'utf8').trim()).toBe(runningMajor);
  });

  it.each(packageFiles)('is the running major in engines.node of %s', (file) => {
    expect(readJson(file).engines?.node).toBe(`${runningMajor}.x`);
  });

  it("is the running major in the root's node devDependency", () => {
    expect(rootPackage.devDependencies.node).toMatch(new RegExp(`^\\^?${runningMajor}\\.`));
  });

  it.each([...apps])('is the running major in every FROM of %s/Dockerfile', (app) => {
    const df = parseDockerfile(fs.readFileSync(path.join(repoRoot, app, 'Dockerfile'), 'utf8'));
    const bases = df.stages.filter((s) => !s.parent).map((s) => s.from);
    expect(bases.length).toBeGreaterThan(0);
    for (const from of bases) expect(from).toMatch(new RegExp(`^node:${runningMajor}[-.]`));
  });
});
