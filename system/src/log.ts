/** Receives one finished log line (no trailing newline). */
export type LogSink = (line: string) => void;

let pending: string[] = [];

function flush(): void {
  if (pending.length === 0) return;
  const text = `${pending.join('\n')}\n`;
  pending = [];
  process.stdout.write(text);
}

/**
 * Prints to stdout. The lines given in one turn of the event loop (all those of one chunk a child
 * wrote, usually) go out in one write rather than one each: under load the parent of `npm start`
 * relays every child's lines, and a write per line was most of what that cost.
 */
export const stdoutSink: LogSink = (line) => {
  if (pending.length === 0) queueMicrotask(flush);
  pending.push(line);
};

// A line logged just before the process exits still gets out.
process.on('exit', flush);
