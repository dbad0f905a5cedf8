import { spawn } from 'node:child_process';
import path from 'node:path';

/** Runs the real src/main.ts with `env` and resolves with its exit code and stderr. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: path.join(__dirname, '../..'),
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('expiration start-up configuration', () => {
  it('exits non-zero naming NATS_URL when it is missing', async () => {
    const { code, stderr } = await runMain({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/expiration' });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/NATS_URL is required/);
  });

  it('exits non-zero naming DATABASE_URL when it is missing', async () => {
    const { code, stderr } = await runMain({ NATS_URL: 'nats://127.0.0.1:1' });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/DATABASE_URL is required/);
  });
});
