/**
 * CPU time of processes, read from Linux's /proc: what the load generator's report divides by the
 * requests served, so the bottleneck of every run is visible.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Clock ticks per second of /proc's times (`getconf CLK_TCK`; 100 on every usual Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime: this process's own CPU, in seconds. */
  own: number;
  /** cutime + cstime: its children's that have exited and been waited for, in seconds. */
  reapedChildren: number;
}

/** One process's /proc/<pid>/stat, or undefined when it is gone (or this is not Linux). */
function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The name (field 2) is in parentheses and may hold spaces or parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const at = (field: number) => Number(fields[field - 3]);
  return {
    pid,
    ppid: at(4),
    own: (at(14) + at(15)) / TICKS_PER_SECOND,
    reapedChildren: (at(16) + at(17)) / TICKS_PER_SECOND,
  };
}

/** The CPU seconds `pid` has used so far (user + system), 0 when it is gone. */
export function processCpuSeconds(pid: number): number {
  return readStat(pid)?.own ?? 0;
}

/**
 * The CPU seconds used so far by `rootPid` and every process below it, those that have exited
 * included (PostgreSQL: the postmaster, its backends and background workers). Each live process
 * counts its own time and that of its children already reaped; a live child is not yet in its
 * parent's figure, so nothing counts twice, and a backend ending between two readings moves its
 * time into its parent's figure rather than losing it.
 */
export function processTreeCpuSeconds(rootPid: number): number {
  const all: ProcStat[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) all.push(stat);
  }
  const children = new Map<number, ProcStat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const root = all.find((s) => s.pid === rootPid);
  if (!root) return 0;
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const s = stack.pop()!;
    total += s.own + s.reapedChildren;
    stack.push(...(children.get(s.pid) ?? []));
  }
  return total;
}

/** CPU seconds of every core since boot, all processes of the machine (the first line of /proc/stat). */
export function machineCpuSeconds(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait.
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
      TICKS_PER_SECOND
    );
  } catch {
    return 0;
  }
}

/** A process (or tree of processes) whose CPU a report shows. */
export interface MeteredProcess {
  /** What it is, as the report's row names it. */
  name: string;
  /** Its pid now (a restarted service has a new one: read at each reading). */
  pid(): number;
  /** Count the whole tree below it (PostgreSQL's backends), not only the process. */
  tree?: boolean;
}

export interface CpuRow {
  name: string;
  pid: number;
  /** CPU seconds over the window. */
  seconds: number;
}

/** CPU used over a window by each metered process, and by the whole machine (every process on it). */
export interface CpuWindow {
  rows: CpuRow[];
  machineSeconds: number;
}

/** Starts a window: read each process now; `end()` reads again and gives the difference. */
export function startCpuWindow(processes: MeteredProcess[]): { end(): CpuWindow } {
  const read = (p: MeteredProcess) => {
    const pid = p.pid();
    return { pid, seconds: pid > 0 ? (p.tree ? processTreeCpuSeconds(pid) : processCpuSeconds(pid)) : 0 };
  };
  const before = processes.map(read);
  const machineBefore = machineCpuSeconds();
  return {
    end() {
      const rows = processes.map((p, i) => {
        const now = read(p);
        // A process restarted during the window started again from 0: count from its start.
        const seconds = now.pid === before[i]!.pid ? now.seconds - before[i]!.seconds : now.seconds;
        return { name: p.name, pid: now.pid, seconds: Math.max(0, seconds) };
      });
      return { rows, machineSeconds: machineCpuSeconds() - machineBefore };
    },
  };
}
