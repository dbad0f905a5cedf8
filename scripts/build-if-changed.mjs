#!/usr/bin/env node
// Builds the named workspaces (`npm run build -w @ticketing/<name>`) unless their dist/ was built
// from exactly the sources there now. `npm run ci` used to compile common four times (lint,
// typecheck, test, the system tests' build:deps), each ~14 s of CPU, from the same sources.
//
//   node scripts/build-if-changed.mjs common auth ...
//
// For workspaces whose build writes dist/ (common and the services; not the client). The check is
// a SHA-256 over the workspace's src/ (every file, tests included), its package.json and
// tsconfig*.json, common/src for the others (they compile against it), and the root's
// tsconfig.base.json and package-lock.json (the compiler's version), written to
// <workspace>/dist/.build-inputs.sha256 after a build succeeds. Every build script starts with
// `rm -rf dist`, so a build run any other way leaves no stamp and the next check builds again: a
// stale dist/ is never taken for a fresh one.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '..');
const STAMP = '.build-inputs.sha256';

/** Every file under dir, as paths relative to the repository root, sorted. */
function filesUnder(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(repoRoot, path.join(e.parentPath, e.name)))
    .sort();
}

function inputsHash(workspace) {
  const dir = path.join(repoRoot, workspace);
  const files = [
    ...filesUnder(path.join(dir, 'src')),
    ...(workspace === 'common' ? [] : filesUnder(path.join(repoRoot, 'common', 'src'))),
    ...fs
      .readdirSync(dir)
      .filter((f) => f === 'package.json' || /^tsconfig.*\.json$/.test(f))
      .sort()
      .map((f) => path.join(workspace, f)),
    'tsconfig.base.json',
    'package-lock.json',
  ];
  const hash = crypto.createHash('sha256');
  for (const file of files) {
    // The name and the length frame each file, so moving bytes between files changes the hash.
    const content = fs.readFileSync(path.join(repoRoot, file));
    hash.update(`${file}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex');
}

const workspaces = process.argv.slice(2);
if (workspaces.length === 0) {
  console.error('usage: node scripts/build-if-changed.mjs <workspace>...');
  process.exit(2);
}
for (const workspace of workspaces) {
  if (!fs.existsSync(path.join(repoRoot, workspace, 'package.json'))) {
    console.error(`build-if-changed: no workspace ${workspace}`);
    process.exit(2);
  }
  const stamp = path.join(repoRoot, workspace, 'dist', STAMP);
  const hash = inputsHash(workspace);
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === hash) {
    console.log(`build-if-changed: ${workspace}/dist is built from the current sources, not rebuilt`);
    continue;
  }
  const npm = process.env.npm_execpath;
  // Under npm (every script), its own CLI with this Node; otherwise the npm on PATH.
  const [cmd, args] = npm
    ? [process.execPath, [npm, 'run', 'build', '-w', `@ticketing/${workspace}`]]
    : ['npm', ['run', 'build', '-w', `@ticketing/${workspace}`]];
  execFileSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
  // Sources edited during the build would make dist/ older than this hash says: hash again.
  if (inputsHash(workspace) !== hash) {
    console.log(`build-if-changed: ${workspace}'s sources changed during the build; no stamp written`);
    continue;
  }
  fs.writeFileSync(stamp, `${hash}\n`);
}
