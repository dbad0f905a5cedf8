/** Receives one finished log line (no trailing newline). */
export type LogSink = (line: string) => void;

/** Prints to stdout. */
export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};
