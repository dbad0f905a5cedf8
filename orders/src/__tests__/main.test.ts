import { spawn } from 'node:child_process';
import path from 'node:path';

const serviceDir = path.join(__dirname, '..', '..');

/** Runs src/main.ts with exactly `env` (plus PATH); resolves with its exit code and stderr. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: serviceDir,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const unreachable = { DATABASE_URL: 'postgres://127.0.0.1:1/orders', NATS_URL: 'nats://127.0.0.1:1' };

describe('src/main.ts', () => {
  it('exits non-zero naming JWT_KEY when it is missing', async () => {
    const { code, stderr } = await runMain(unreachable);

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/JWT_KEY is required/);
  });

  it('exits non-zero naming EXPIRATION_WINDOW_SECONDS when it is not a positive integer', async () => {
    const { code, stderr } = await runMain({
      ...unreachable,
      JWT_KEY: 'k',
      EXPIRATION_WINDOW_SECONDS: 'soon',
    });

    expect(code).not.toBe(0);
    expect(stderr).toMatch(/EXPIRATION_WINDOW_SECONDS must be an integer/);
  });
});
