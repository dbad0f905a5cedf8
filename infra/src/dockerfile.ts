/** A Dockerfile, parsed just enough to check and replay it. */

export interface Step {
  instruction: string; // upper case: RUN, COPY, WORKDIR, ENV, ...
  /** --from=build, --chown=node:node, --mount=... */
  flags: Record<string, string>;
  /** The rest of the line, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  /** `AS name`, or the stage's index as a string. */
  name: string;
  /** The FROM image, or the name of an earlier stage. */
  from: string;
  /** The stage this one starts from, if it is a stage of this file. */
  parent?: string;
  steps: Step[];
  /** CMD in exec form (shell form is refused: SIGTERM must reach the process). */
  cmd?: string[];
  user?: string;
  /** WORKDIR at the end of the stage (inherited from the parent stage). */
  workdir: string;
  /** ENV at the end of the stage (inherited from the parent stage). */
  env: Record<string, string>;
}

export interface Dockerfile {
  stages: Stage[];
}

function splitFlags(rest: string): { flags: Record<string, string>; args: string } {
  const flags: Record<string, string> = {};
  let args = rest.trim();
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S+))?\s*/.exec(args);
    if (!m) break;
    flags[m[1]!] = m[2] ?? 'true';
    args = args.slice(m[0].length);
  }
  return { flags, args };
}

/** ENV a=b c="d e" and ENV a b. */
function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!args.includes('=')) {
    const [k, ...v] = args.split(/\s+/);
    out[k!] = v.join(' ');
    return out;
  }
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    out[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  }
  return out;
}

function joinPath(base: string, p: string): string {
  if (p.startsWith('/')) return p;
  return `${base.replace(/\/$/, '')}/${p}`;
}

/** Parses a Dockerfile: comments, line continuations, stages, flags, exec-form CMD. */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split('\n');
  const logical: { text: string; line: number }[] = [];
  let buf = '';
  let start = 0;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!buf && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (buf && trimmed.startsWith('#')) return; // comment inside a continuation
    if (!buf) start = i + 1;
    if (trimmed.endsWith('\\')) {
      buf += trimmed.slice(0, -1) + ' ';
      return;
    }
    logical.push({ text: (buf + trimmed).trim(), line: start });
    buf = '';
  });

  const stages: Stage[] = [];
  for (const { text: l, line } of logical) {
    const m = /^(\w+)\s+([\s\S]*)$/.exec(l);
    if (!m) throw new Error(`line ${line}: cannot parse "${l}"`);
    const instruction = m[1]!.toUpperCase();
    if (instruction === 'FROM') {
      const { args } = splitFlags(m[2]!);
      const fm = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!fm) throw new Error(`line ${line}: cannot parse FROM`);
      const parent = stages.find((s) => s.name === fm[1]);
      stages.push({
        name: fm[2] ?? String(stages.length),
        from: fm[1]!,
        parent: parent?.name,
        steps: [],
        cmd: parent?.cmd,
        user: parent?.user,
        workdir: parent?.workdir ?? '/',
        env: { ...parent?.env },
      });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) {
      if (instruction === 'ARG') continue;
      throw new Error(`line ${line}: ${instruction} before FROM`);
    }
    const { flags, args } = splitFlags(m[2]!);
    stage.steps.push({ instruction, flags, args, line });
    if (instruction === 'WORKDIR') stage.workdir = joinPath(stage.workdir, args);
    if (instruction === 'ENV') Object.assign(stage.env, parseEnv(args));
    if (instruction === 'USER') stage.user = args;
    if (instruction === 'CMD') {
      if (!args.startsWith('[')) throw new Error(`line ${line}: CMD must use the exec form ["node", ...]`);
      stage.cmd = JSON.parse(args) as string[];
    }
  }
  return { stages };
}

/** The stage a build without --target produces, and every stage it copies from or starts from. */
export function stagesNeeded(df: Dockerfile, target?: string): Stage[] {
  const byName = new Map(df.stages.map((s) => [s.name, s]));
  const final = target ? byName.get(target) : df.stages[df.stages.length - 1];
  if (!final) throw new Error(`no stage ${target}`);
  const needed = new Set<string>();
  const visit = (s: Stage) => {
    if (needed.has(s.name)) return;
    if (s.parent) visit(byName.get(s.parent)!);
    for (const step of s.steps) {
      const from = step.flags.from;
      if (from) {
        const dep = byName.get(from);
        if (!dep) throw new Error(`COPY --from=${from}: only stages of this file are supported`);
        visit(dep);
      }
    }
    needed.add(s.name);
  };
  visit(final);
  // In file order, which is a valid build order.
  return df.stages.filter((s) => needed.has(s.name));
}
