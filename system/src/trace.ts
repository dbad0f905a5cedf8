/**
 * `npm run trace -- <trace-id>` prints that trace as a waterfall; `npm run trace -- --last` the
 * most recent purchase (its POST /api/orders and POST /api/payments traces). Reads the spans
 * `npm start` keeps in `<DATA_DIR>/traces` (DATA_DIR default `.data`; `--dir <path>` reads another).
 */
import path from 'node:path';
import { repoRoot } from './routes';
import { lastPurchase, readSpans, spansOfTrace, traceIdOf, waterfall } from './traces';

function main(argv: string[]): number {
  const dirFlag = argv.indexOf('--dir');
  const dir =
    dirFlag >= 0 && argv[dirFlag + 1]
      ? path.resolve(argv[dirFlag + 1]!)
      : path.join(path.resolve(process.env.DATA_DIR || path.join(repoRoot, '.data')), 'traces');
  const args = dirFlag >= 0 ? argv.filter((_, i) => i !== dirFlag && i !== dirFlag + 1) : argv;
  const wanted = args[0];
  if (!wanted || args.length > 1) {
    process.stderr.write('usage: npm run trace -- <trace-id> | --last   [--dir <traces dir>]\n');
    return 2;
  }
  const spans = readSpans(dir);
  let traceIds: string[];
  if (wanted === '--last') {
    traceIds = lastPurchase(spans);
    if (traceIds.length === 0) {
      process.stderr.write(`no purchase (POST /api/payments) in the traces in ${dir}\n`);
      return 1;
    }
  } else {
    // A trace id, or a whole traceresponse/traceparent header value.
    const id = traceIdOf(wanted) ?? wanted.toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(id)) {
      process.stderr.write(`not a trace id: ${wanted}\n`);
      return 2;
    }
    traceIds = [id];
  }
  let found = 0;
  for (const id of traceIds) {
    const trace = spansOfTrace(spans, id);
    if (trace.length === 0) {
      process.stderr.write(`trace ${id}: no spans in ${dir}\n`);
      continue;
    }
    found += 1;
    process.stdout.write(
      `${waterfall(trace, Math.max(10, Math.min(40, (process.stdout.columns ?? 160) - 120)))}\n\n`,
    );
  }
  return found > 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
