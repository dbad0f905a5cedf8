import { spawn, type ChildProcess } from 'node:child_process';

/** A service's entry point that a test started as a process of its own. */
export interface MainProcess {
  child: ChildProcess;
  /** Everything it has written so far. */
  output: { stdout: string; stderr: string };
  /** Its exit code (null when a signal ended it), once it has exited and its output is complete. */
  exited: Promise<number | null>;
  /** Sends `signal` (SIGTERM unless given) if it is still running; resolves as `exited` does. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** `http://127.0.0.1:<port>` once it has logged the port it listens on (rejects if it exits first). */
  url(timeoutMs?: number): Promise<string>;
}

/**
 * Starts `entry` of the service in `serviceDir` as a deployment would (`node --import tsx <entry>`),
 * with exactly `env` plus PATH, collecting its output.
 */
export function startMain(
  serviceDir: string,
  env: Record<string, string>,
  entry = 'src/main.ts',
): MainProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: serviceDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()));
  let running = true;
  // 'close', not 'exit': by then stdout and stderr have been read to the end.
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  }).finally(() => (running = false));
  exited.catch(() => undefined); // a failed spawn rejects `exited` for whoever awaits it, not the process

  return {
    child,
    output,
    exited,
    stop(signal = 'SIGTERM') {
      if (running) child.kill(signal);
      return exited;
    },
    async url(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const port = /"port":(\d+)/.exec(output.stdout)?.[1];
        if (port) return `http://127.0.0.1:${port}`;
        if (!running) throw new Error(`${entry} exited before listening: ${output.stderr.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`${entry} did not log a port within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** Runs `entry` as `startMain` does and resolves once it exits, with its exit code and output. */
export async function runMain(
  serviceDir: string,
  env: Record<string, string>,
  entry = 'src/main.ts',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const main = startMain(serviceDir, env, entry);
  const code = await main.exited;
  return { code, ...main.output };
}
