import { Writable } from 'node:stream';

/** A writable that calls `onLine` for every complete line written to it (the rest on end). */
export function lineSplitter(onLine: (line: string) => void): Writable {
  let buffered = '';
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      // One pass over the chunk: each line is cut once, and only the unfinished tail is kept.
      const text = buffered + chunk.toString('utf8');
      let start = 0;
      let nl: number;
      while ((nl = text.indexOf('\n', start)) >= 0) {
        const end = nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
        if (end > start) onLine(text.slice(start, end));
        start = nl + 1;
      }
      buffered = start === 0 ? text : text.slice(start);
      done();
    },
    final(done) {
      if (buffered) onLine(buffered);
      buffered = '';
      done();
    },
  });
}

const CR = 0x0d;
