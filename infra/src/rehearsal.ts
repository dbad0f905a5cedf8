import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dockerignore } from './dockerignore';
import { parseDockerfile, stagesNeeded, type Step } from './dockerfile';
import { repoRoot } from './paths';

/**
 * A Dockerfile rehearsal: replays the WORKDIR, ENV, COPY and RUN steps of a Dockerfile's final
 * stage, and of the stages it copies from, in a scratch folder with this machine's Node and npm.
 * Each stage gets its own folder standing for its filesystem root (`/app` → `<stage>/app`); the
 * build context is the repository root filtered by .dockerignore; `COPY --from=<stage>` reads that
 * stage's folder. What is NOT rehearsed, and why:
 * - the base image itself (FROM node:...): this machine's node and npm stand in for it;
 * - system commands (apk, apt-get, adduser, addgroup, useradd, groupadd, chown), USER and
 *   `COPY --chown`: no users or ownership in a scratch folder; they are skipped and reported;
 * - `RUN --mount=type=cache`: the cache mount is dropped (npm uses this machine's cache, and
 *   `npm_config_prefer_offline=true` so installs come from it when they can).
 * RUN steps must use paths relative to WORKDIR: an absolute path would reach this machine's own
 * filesystem, so the rehearsal refuses it.
 */

/** What a replay left behind: the final stage's folder and how to start its CMD. */
export interface Rehearsal {
  /** The folder standing for the final stage's `/`. */
  root: string;
  /** The CMD's working directory on this machine (root + WORKDIR). */
  cwd: string;
  env: Record<string, string>;
  cmd: string[];
  /** Steps that were not replayed, with the reason. */
  skipped: string[];
  /** Log of every RUN step's output. */
  log: string;
}

const REGISTRY_ACCESS_ENV = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
];

const SYSTEM_COMMANDS = /^(apk|apt-get|apt|addgroup|adduser|useradd|groupadd|usermod|chown)\b/;

interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
}

/**
 * Replayed stages to reuse within one run, keyed by Dockerfile and stage (as Docker's layer cache
 * would: the runtime and dev targets of one Dockerfile share its build stage). The folders must
 * outlive every replay that uses the cache.
 */
export type StageCache = Map<string, StageState>;

/** Replays `dockerfile` (a path) into `scratch` (an empty folder); returns how to start its CMD. */
export async function replayDockerfile(
  dockerfile: string,
  scratch: string,
  options: { target?: string; context?: string; cache?: StageCache } = {},
): Promise<Rehearsal> {
  const context = options.context ?? repoRoot;
  const df = parseDockerfile(fs.readFileSync(dockerfile, 'utf8'));
  const stages = stagesNeeded(df, options.target);
  const ignored = dockerignore(context);
  const states = new Map<string, StageState>();
  const skipped: string[] = [];
  const logFile = path.join(scratch, 'rehearsal.log');
  const rel = path.relative(context, dockerfile);

  for (const stage of stages) {
    const cacheKey = `${path.resolve(dockerfile)}#${stage.name}`;
    const cached = options.cache?.get(cacheKey);
    if (cached && stage !== stages[stages.length - 1]) {
      states.set(stage.name, cached);
      continue;
    }
    const root = path.join(scratch, `stage-${stage.name}`);
    const parent = stage.parent ? states.get(stage.parent)! : undefined;
    if (parent) fs.cpSync(parent.root, root, { recursive: true, verbatimSymlinks: true });
    else fs.mkdirSync(root, { recursive: true });
    const state: StageState = { root, workdir: parent?.workdir ?? '/', env: { ...parent?.env } };
    states.set(stage.name, state);

    for (const step of stage.steps) {
      const where = `${rel}:${step.line} (stage ${stage.name})`;
      switch (step.instruction) {
        case 'WORKDIR':
          state.workdir = path.posix.resolve(state.workdir, step.args);
          fs.mkdirSync(hostPath(state, state.workdir), { recursive: true });
          break;
        case 'ENV':
          Object.assign(state.env, envOf(step));
          break;
        case 'COPY':
          if (step.flags.chown) skipped.push(`${where}: COPY --chown (ownership)`);
          copyStep(step, state, states, context, ignored, where);
          break;
        case 'RUN':
          await runStep(step, state, where, skipped, logFile);
          break;
        case 'ADD':
          throw new Error(`${where}: ADD is not rehearsed; use COPY`);
        case 'USER':
          skipped.push(`${where}: USER ${step.args}`);
          break;
        default:
          // ARG, EXPOSE, CMD, LABEL, HEALTHCHECK, STOPSIGNAL: metadata, nothing to replay.
          break;
      }
    }
    options.cache?.set(cacheKey, state);
  }

  const final = stages[stages.length - 1]!;
  const state = states.get(final.name)!;
  if (!final.cmd) throw new Error(`${rel}: the final stage has no CMD`);
  return {
    root: state.root,
    cwd: hostPath(state, state.workdir),
    env: state.env,
    cmd: final.cmd,
    skipped,
    log: logFile,
  };
}

/** The ENV values of this step (recomputed from the step, since the stage's env is its final one). */
function envOf(step: Step): Record<string, string> {
  return parseDockerfile(`FROM scratch\nENV ${step.args}\n`).stages[0]!.env;
}

/** A path inside a stage's filesystem → the path on this machine. */
function hostPath(state: StageState, p: string): string {
  const abs = path.posix.resolve(state.workdir, p);
  return path.join(state.root, abs);
}

function copyStep(
  step: Step,
  state: StageState,
  states: Map<string, StageState>,
  context: string,
  ignored: (rel: string) => boolean,
  where: string,
): void {
  const parts: string[] = step.args.startsWith('[') ? JSON.parse(step.args) : step.args.split(/\s+/);
  const dest = parts.pop()!;
  const sources = parts;
  const from = step.flags.from;
  const fromState = from ? states.get(from) : undefined;
  if (from && !fromState) throw new Error(`${where}: COPY --from=${from}: no such stage replayed`);

  // Expand each source to files on this machine (a `*` in the last segment is a glob).
  const resolved: { src: string; rel: string }[] = [];
  for (const s of sources) {
    const base = fromState ? path.join(fromState.root, path.posix.resolve('/', s)) : path.join(context, s);
    const matches = globLast(base);
    if (matches.length === 0)
      throw new Error(`${where}: COPY source ${s} does not exist${from ? ` in stage ${from}` : ''}`);
    for (const m of matches) {
      const r = fromState ? '' : path.relative(context, m);
      if (!fromState && r.startsWith('..'))
        throw new Error(`${where}: COPY source ${s} is outside the build context`);
      if (!fromState && r && ignored(r))
        throw new Error(`${where}: COPY source ${s} is excluded by .dockerignore`);
      resolved.push({ src: m, rel: r });
    }
  }

  const destIsDir = dest.endsWith('/') || dest === '.' || dest === './' || resolved.length > 1;
  const destHost = hostPath(state, dest);
  for (const { src, rel } of resolved) {
    const stat = fs.lstatSync(src);
    if (stat.isDirectory()) {
      // A directory's contents go into dest.
      fs.mkdirSync(destHost, { recursive: true });
      fs.cpSync(src, destHost, {
        recursive: true,
        verbatimSymlinks: true,
        filter: fromState
          ? undefined
          : (file) => {
              const r = path.relative(context, file);
              return r === rel || !ignored(r);
            },
      });
    } else {
      const target = destIsDir ? path.join(destHost, path.basename(src)) : destHost;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.cpSync(src, target, { verbatimSymlinks: true });
    }
  }
}

function globLast(p: string): string[] {
  const base = path.basename(p);
  if (!/[*?]/.test(base)) return fs.existsSync(p) || isLink(p) ? [p] : [];
  const dir = path.dirname(p);
  if (!fs.existsSync(dir)) return [];
  const re = new RegExp(
    `^${base
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '.')}$`,
  );
  return fs
    .readdirSync(dir)
    .filter((f) => re.test(f))
    .map((f) => path.join(dir, f));
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

async function runStep(
  step: Step,
  state: StageState,
  where: string,
  skipped: string[],
  logFile: string,
): Promise<void> {
  if (step.flags.mount) skipped.push(`${where}: RUN --mount=${step.flags.mount} (cache mount dropped)`);
  if (step.args.startsWith('['))
    throw new Error(`${where}: RUN in exec form is not rehearsed; use the shell form`);
  const segments = step.args.split('&&').map((s) => s.trim());
  const kept = segments.filter((s) => {
    if (SYSTEM_COMMANDS.test(s)) {
      skipped.push(`${where}: system command "${s}"`);
      return false;
    }
    return true;
  });
  if (kept.length === 0) return;
  const command = kept.join(' && ');
  const absolute = command.match(/(?:^|[\s=])(\/(?!dev\/null)[^\s;&|]*)/);
  if (absolute) {
    throw new Error(`${where}: RUN uses the absolute path ${absolute[1]}; use a path relative to WORKDIR`);
  }
  const cwd = hostPath(state, state.workdir);
  fs.appendFileSync(logFile, `\n$ (${where}) ${command}\n`);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    // What npm needs to reach the registry from this machine (its CA, a proxy), as a docker build
    // would through the daemon's settings: a package not in the npm cache is fetched, not failed.
    ...Object.fromEntries(REGISTRY_ACCESS_ENV.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : []))),
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    ...state.env,
  };
  const out = fs.openSync(logFile, 'a');
  try {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', out, out] });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    if (code !== 0) {
      const tail = fs.readFileSync(logFile, 'utf8').slice(-4000);
      throw new Error(`${where}: RUN ${command} exited with ${code}\n${tail}`);
    }
  } finally {
    fs.closeSync(out);
  }
}

/** Starts a rehearsal's CMD (`node` is this machine's node) with extra environment. */
export function startCmd(r: Rehearsal, env: Record<string, string>): ChildProcess {
  const [bin, ...args] = r.cmd;
  const exe = bin === 'node' ? process.execPath : bin!;
  return spawn(exe, args, {
    cwd: r.cwd,
    env: { PATH: process.env.PATH ?? '', ...r.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that whatever it started can be ended with it (`endGroup`), as
    // a container's end takes every process in it.
    detached: true,
  });
}

/** Ends every process left in the CMD's process group (after the CMD itself has exited). */
export function endGroup(proc: ChildProcess): void {
  try {
    if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}
