import { Writable } from 'node:stream';

/** A writable that calls `onLine` for every complete line written to it (the rest on end). */
export function lineSplitter(onLine: (line: string) => void): Writable {
  let buffered = '';
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        if (line) onLine(line);
      }
      done();
    },
    final(done) {
      if (buffered) onLine(buffered);
      buffered = '';
      done();
    },
  });
}
