import path from 'node:path';
import { runMain, startMain } from '../process';

const dir = path.join(__dirname, 'fixtures');

describe('runMain', () => {
  it('resolves with the exit code and the complete stderr', async () => {
    const { code, stderr } = await runMain(dir, { FAKE_MAIN: 'fail' }, 'fake-main.ts');

    expect(code).toBe(3);
    expect(stderr).toBe('FOO is required\n');
  });
});

describe('startMain', () => {
  it('passes only the given env (plus PATH)', async () => {
    const main = startMain(dir, { FAKE_MAIN: 'fail' }, 'fake-main.ts');

    expect(await main.exited).toBe(3);
    expect(main.child.spawnargs.slice(1)).toEqual(['--import', 'tsx', 'fake-main.ts']);
  });

  it('gives the URL it listens on, and stops on SIGTERM with all its output read', async () => {
    const main = startMain(dir, {}, 'fake-main.ts');

    const url = await main.url();
    const code = await main.stop();

    expect(url).toBe('http://127.0.0.1:4321');
    expect(code).toBe(0);
    expect(main.output.stdout).toMatch(/service stopped/);
  });

  it('rejects url() when the process exits before listening', async () => {
    const main = startMain(dir, { FAKE_MAIN: 'fail' }, 'fake-main.ts');

    await expect(main.url()).rejects.toThrow(/exited before listening: FOO is required/);
  });
});
