import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const logger = path.join(__dirname, '..', 'logger.ts');

/** What a process's stdout holds after it logged `lines` lines with `createLogger(options)` and exited. */
async function stdoutOfProcessLogging(options: object, lines: number): Promise<string> {
  const script = `
    const { createLogger } = require(${JSON.stringify(logger)});
    const log = createLogger(${JSON.stringify(options)});
    for (let i = 0; i < ${lines}; i++) log.info({ i }, 'request completed');
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script]);
  return stdout;
}

describe('createLogger writing to stdout', () => {
  it('starts every line with the line prefix, followed by the whole JSON record', async () => {
    const out = await stdoutOfProcessLogging({ service: 'tickets', linePrefix: '[tickets-2] ' }, 3);

    const lines = out.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    for (const [i, line] of lines.entries()) {
      expect(line.startsWith('[tickets-2] {')).toBe(true);
      expect(JSON.parse(line.slice('[tickets-2] '.length))).toMatchObject({
        service: 'tickets',
        level: 'info',
        msg: 'request completed',
        i,
      });
    }
  });

  it('writes bare JSON lines without a prefix', async () => {
    const out = await stdoutOfProcessLogging({ service: 'tickets' }, 1);

    expect(JSON.parse(out)).toMatchObject({ service: 'tickets', msg: 'request completed' });
  });
});
