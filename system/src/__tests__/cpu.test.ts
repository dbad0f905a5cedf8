/**
 * The CPU figures of the load report, read from /proc for real processes: a child that burns
 * 300 ms of CPU shows it, and a process tree keeps the time of a child that has already exited
 * (PostgreSQL's backends come and go between two readings).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { processCpuSeconds, processTreeCpuSeconds, startCpuWindow } from '../cpu';

/** Node code that spins until its own process has used `ms` of CPU, then says `burnt`. */
const burn = (ms: number) =>
  `const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) / 1000 < ${ms}) {}`;

/** Starts `node -e code`, resolves once it printed `line`. */
function startNode(code: string, line: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes(line)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before "${line}"`)));
  });
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.kill('SIGKILL');
});

describe('CPU from /proc', () => {
  it('shows the CPU a process burnt (300 ms burnt reads as at least 0.2 s)', async () => {
    const child = await startNode(
      `${burn(300)}; console.log('burnt'); setInterval(() => {}, 1000);`,
      'burnt',
    );
    running.push(child);

    expect(processCpuSeconds(child.pid!)).toBeGreaterThanOrEqual(0.2);
  });

  it('counts the CPU of a child that has already exited in its parent’s tree', async () => {
    const childCode = `${burn(300)}`;
    const parent = await startNode(
      `require('node:child_process').spawnSync(process.execPath, ['-e', ${JSON.stringify(childCode)}]); console.log('reaped'); setInterval(() => {}, 1000);`,
      'reaped',
    );
    running.push(parent);

    expect(processCpuSeconds(parent.pid!)).toBeLessThan(0.2);
    expect(processTreeCpuSeconds(parent.pid!)).toBeGreaterThanOrEqual(0.2);
  });

  it('gives the CPU used within a window, not before it', async () => {
    const child = await startNode(
      `${burn(300)}; console.log('burnt'); process.stdin.resume(); process.stdin.once('data', () => { ${burn(300)}; console.log('again'); });`,
      'burnt',
    );
    running.push(child);
    const window = startCpuWindow([{ name: 'burner', pid: () => child.pid! }]);

    const again = new Promise((r) =>
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('again') && r(d)),
    );
    child.stdin?.write('go\n');
    await again;
    const [row] = window.end().rows;

    expect(row!.seconds).toBeGreaterThanOrEqual(0.2);
    expect(processCpuSeconds(child.pid!)).toBeGreaterThanOrEqual(row!.seconds + 0.2);
  });
});
