import { spawn, type ChildProcess } from 'node:child_process';
import { lineSplitter } from './lines';

/** A server binary running as a child process, with its recent output kept for error messages. */
export interface ServerProcess {
  child: ChildProcess;
  /** Resolves when it has exited. */
  exited: Promise<void>;
  running(): boolean;
  /** The last few kB it wrote (stdout and stderr). */
  recentOutput(): string;
  /**
   * Sends `signal` if it is still running and waits for it to exit; unless the signal is SIGKILL,
   * sends SIGKILL after `deadlineMs`.
   */
  signal(signal: NodeJS.Signals, deadlineMs?: number): Promise<void>;
}

/** Spawns `bin args`, passing each line it writes to `onLine`. */
export function spawnServer(
  bin: string,
  args: string[],
  options: {
    env: NodeJS.ProcessEnv;
    runAs?: { uid: number; gid: number };
    detached?: boolean;
    onLine?: (line: string) => void;
  },
): ServerProcess {
  const child = spawn(bin, args, {
    ...(options.runAs ?? {}),
    env: options.env,
    detached: options.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let recent = '';
  const onLine = (line: string) => {
    recent = `${recent}${line}\n`.slice(-4000);
    options.onLine?.(line);
  };
  child.stdout?.pipe(lineSplitter(onLine));
  child.stderr?.pipe(lineSplitter(onLine));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      onLine(`failed to start ${bin}: ${err.message}`);
      resolve();
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  const running = () => !done && child.exitCode === null && child.signalCode === null;
  return {
    child,
    exited,
    running,
    recentOutput: () => recent,
    async signal(signal, deadlineMs = 15_000) {
      if (!running()) return;
      child.kill(signal);
      const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), deadlineMs);
      await exited;
      if (timer) clearTimeout(timer);
    },
  };
}
