/**
 * A short run of the load generator against its own system: no request may fail and every
 * invariant must hold afterwards. (`npm run load` runs the same thing for longer.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { runLoad } from '../load';
import { repoRoot } from '../routes';

describe('npm run load (20 s)', () => {
  it('serves every request without an error and keeps every invariant', async () => {
    const artifacts = path.join(repoRoot, 'artifacts');
    fs.mkdirSync(artifacts, { recursive: true });
    const log = fs.createWriteStream(path.join(artifacts, 'system-load.log'));
    const lines: string[] = [];
    try {
      const report = await runLoad({
        seconds: 20,
        concurrency: 10,
        print: (l) => lines.push(l),
        systemLog: (l) => log.write(`${l}\n`),
      });
      console.log(lines.join('\n'));
      expect(report.errorSamples).toEqual([]);
      expect(report.errors).toBe(0);
      expect(report.invariants?.problems).toEqual([]);
      expect(report.purchases).toBeGreaterThan(0);
      expect(report.commitToReservation.timeouts).toBe(0);
    } finally {
      await new Promise((r) => log.end(r));
    }
  });
});
