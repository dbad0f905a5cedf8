/**
 * What tracing costs the whole system: `npm run load` throughput with tracing on (as `npm start`
 * runs it: every span of every service and the gateway written to `<data>/traces/*.jsonl`) against
 * tracing off (OTEL_SDK_DISABLED=true), in one run, on the same machine.
 *
 *   npm run build && npx tsx bench/tracing.ts [--seconds 30] [--concurrency 20] [--rounds 2]
 *
 * Rounds alternate off, on, off, on, … (each boots a fresh system), so a machine that gets busier
 * or quieter during the run weighs on both sides alike. The figure is the ratio of the summed
 * requests/s; the acceptance bar is on/off ≥ 0.9.
 */
import { runLoad, type LoadReport } from '../system/src/load';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = arg('--seconds', 30);
const CONCURRENCY = arg('--concurrency', 20);
const ROUNDS = arg('--rounds', 2);

async function round(tracing: boolean): Promise<LoadReport> {
  return runLoad({
    seconds: SECONDS,
    concurrency: CONCURRENCY,
    print: () => undefined,
    env: {
      ...process.env,
      SCRYPT_N: '1024',
      LOG_LEVEL: 'warn',
      OTEL_SDK_DISABLED: tracing ? 'false' : 'true',
    },
  });
}

async function main(): Promise<void> {
  const results: { tracing: boolean; report: LoadReport }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const tracing of [false, true]) {
      const report = await round(tracing);
      results.push({ tracing, report });
      process.stdout.write(
        `round ${r + 1} tracing ${tracing ? 'on ' : 'off'}: ${report.requestsPerSecond.toFixed(1)} requests/s, ` +
          `${report.purchasesPerSecond.toFixed(2)} purchases/s, ${report.errors} errors, ` +
          `invariants ${report.invariants && report.invariants.problems.length === 0 ? 'hold' : 'BROKEN'}\n`,
      );
    }
  }
  const side = (tracing: boolean) => results.filter((r) => r.tracing === tracing).map((r) => r.report);
  const sum = (reports: LoadReport[], f: (r: LoadReport) => number) => reports.reduce((a, r) => a + f(r), 0);
  const off = side(false);
  const on = side(true);
  const rps = (reports: LoadReport[]) => sum(reports, (r) => r.requests) / sum(reports, (r) => r.seconds);
  const p99 = (reports: LoadReport[], route: string) =>
    Math.max(...reports.map((r) => r.routes.find((x) => x.route === route)?.p99 ?? 0));
  const ratio = rps(on) / rps(off);
  process.stdout.write(
    [
      '',
      `| ${SECONDS} s × ${ROUNDS} rounds, ${CONCURRENCY} users | tracing off | tracing on (files) |`,
      '| --- | --- | --- |',
      `| requests/s | ${rps(off).toFixed(1)} | ${rps(on).toFixed(1)} |`,
      `| purchases/s | ${(sum(off, (r) => r.purchases) / sum(off, (r) => r.seconds)).toFixed(2)} | ${(sum(on, (r) => r.purchases) / sum(on, (r) => r.seconds)).toFixed(2)} |`,
      `| errors | ${sum(off, (r) => r.errors)} | ${sum(on, (r) => r.errors)} |`,
      `| p99 POST /api/orders (ms, worst round) | ${p99(off, 'POST /api/orders').toFixed(0)} | ${p99(on, 'POST /api/orders').toFixed(0)} |`,
      `| p99 GET /api/tickets (ms, worst round) | ${p99(off, 'GET /api/tickets').toFixed(0)} | ${p99(on, 'GET /api/tickets').toFixed(0)} |`,
      '',
      `throughput with tracing on / off: ${ratio.toFixed(3)} (bar: >= 0.9)`,
      '',
    ].join('\n'),
  );
  process.exitCode = ratio >= 0.9 && [...off, ...on].every((r) => r.errors === 0) ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
