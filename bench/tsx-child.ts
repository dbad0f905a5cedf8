/**
 * Starts `file` (a bench's own TypeScript file) again as a child under tsx, with an IPC channel for
 * its reports, its output on this terminal, and this process's environment plus `env`.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export function spawnTsxChild(file: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  // npm's variables (npx) stay here: tsx started under them in a child did not get going.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')));
  return spawn(process.execPath, [require.resolve('tsx/cli'), file, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...inherited, ...env },
  });
}
