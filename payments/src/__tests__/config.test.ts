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

const complete = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/payments', NATS_URL: 'nats://127.0.0.1:1', JWT_KEY: 'k' };

describe('payments start-up configuration', () => {
  it.each(['JWT_KEY', 'DATABASE_URL', 'NATS_URL'] as const)('exits non-zero naming %s when it is missing', async (name) => {
    const env: Record<string, string> = { ...complete };
    delete env[name];

    const { code, stderr } = await runMain(env);

    expect(code).not.toBe(0);
    expect(stderr).toContain(`${name} is required`);
  });

  it('exits non-zero naming STRIPE_API_PORT when it is not a number', async () => {
    const { code, stderr } = await runMain({ ...complete, STRIPE_API_PORT: 'abc' });

    expect(code).not.toBe(0);
    expect(stderr).toContain('STRIPE_API_PORT must be an integer');
  });
});
