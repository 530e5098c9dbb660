// Reading a file another process appends to, line by line, from where the last read stopped: the
// runs' logs (followed live) and their metrics files. Lines are numbered from the file's start.
import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from '../runner/metrics';

/** One buffer for every reader: reads are synchronous, and a fresh 64 KB per read is garbage. */
const READ_BUF = Buffer.allocUnsafe(64 * 1024);

export class FileLines {
  private split = new LineSplitter();
  private decoder = new StringDecoder('utf8'); // a character split across two reads stays whole
  /** The last line was delivered unterminated: what comes next continues it. */
  private partial = false;
  /** Lines delivered so far (the number of the last one). */
  line = 0;

  /** `offset`: where reading starts (0, or the file's end to follow only what comes). */
  constructor(readonly file: string, private offset = 0) {}

  /**
   * Lines appended since the last read, each with its number; with `end`, also an unterminated
   * last one (its writer is gone). `onText` sees the raw text read (a stderr tail).
   */
  read(onLine: (line: string, n: number) => void, end = false, onText?: (text: string) => void): void {
    // Most looks find nothing new: one stat instead of an open, a read and a close.
    const size = fs.statSync(this.file, { throwIfNoEntry: false })?.size;
    if (size !== undefined && size < this.offset) {
      // Started over (opened with "w" by a later attempt): its lines are new, numbered from 1.
      Object.assign(this, { offset: 0, line: 0, partial: false, split: new LineSplitter(), decoder: new StringDecoder('utf8') });
    }
    if (size !== undefined && size > this.offset) {
      let fd: number | undefined;
      try { fd = fs.openSync(this.file, 'r'); } catch { /* gone meanwhile */ }
      if (fd !== undefined) {
        try {
          for (;;) {
            const n = fs.readSync(fd, READ_BUF, 0, READ_BUF.length, this.offset);
            if (n <= 0) break;
            this.offset += n;
            const text = this.decoder.write(READ_BUF.subarray(0, n));
            onText?.(text);
            for (const l of this.split.push(text)) this.deliver(l, onLine);
          }
        } finally {
          fs.closeSync(fd);
        }
      }
    }
    if (end) {
      const rest = this.split.flush();
      if (rest !== undefined) { this.deliver(rest, onLine); this.partial = true; }
    }
  }

  private deliver(l: string, onLine: (line: string, n: number) => void): void {
    onLine(l, this.partial ? this.line : ++this.line);
    this.partial = false;
  }
}
