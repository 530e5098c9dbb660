// A run's stdout.log and stderr.log read attempt by attempt, for Show Logs: every attempt appends to
// the same two files, and run.json records where each attempt's output starts (`logs_from`), so the
// lines come out in attempt order with a marker line before each attempt. No `vscode` here, so it
// is unit tested as it is.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { AttemptRecord, RunRecord } from '../../core/src/store/store';

export type LogStream = 'stdout' | 'stderr' | 'marker';
export type LogSink = (stream: LogStream, line: string) => void;

const STREAMS = ['stdout', 'stderr'] as const;
const CHUNK = 1 << 20;

/** `── attempt 2 (retry after exit:3) ──`: the line shown before an attempt's output. */
export function attemptMarker(a: AttemptRecord, prev?: AttemptRecord): string {
  const why = !prev ? '' : prev.failure_class === 'interrupted' || prev.failure_class === 'cancelled'
    ? ` (continued after ${prev.failure_class})` : ` (retry after ${prev.failure_class ?? 'attempt ' + prev.n})`;
  return `── attempt ${a.n}${why} ──`;
}

/**
 * Reads a run's logs incrementally: each `read` passes on the lines written since the last one, in
 * attempt order. Runs of runners that did not record `logs_from` (older versions) are read as one
 * piece, without markers, and `legacy` says so.
 */
export class AttemptLogReader {
  private cur = 0;
  private marked = -1;
  private readonly pos = { stdout: 0, stderr: 0 };
  private readonly partial = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  legacy = false;

  constructor(private readonly dir: string) {}

  /** Passes on what is new. `final`: the run has ended, so a last line without its newline is a line too. */
  async read(run: RunRecord, sink: LogSink, final = false): Promise<void> {
    const attempts = run.attempts;
    this.legacy = attempts.length > 1 && attempts.some((a) => !a.logs_from);
    if (!attempts.length || this.legacy) {
      for (const s of STREAMS) await this.segment(s, undefined, sink, final);
      return;
    }
    for (;;) {
      const a = attempts[this.cur];
      if (this.marked < this.cur) { sink('marker', attemptMarker(a, attempts[this.cur - 1])); this.marked = this.cur; }
      const next = attempts[this.cur + 1]?.logs_from;
      for (const s of STREAMS) await this.segment(s, next?.[s], sink, final || next !== undefined);
      if (!next) return;
      this.cur++;
      // Never back: lines read before run.json named the next attempt stay where they were shown.
      this.pos.stdout = Math.max(this.pos.stdout, next.stdout);
      this.pos.stderr = Math.max(this.pos.stderr, next.stderr);
    }
  }

  /** Lines of one stream from where it was read up to `end` (the file's end when undefined). */
  private async segment(stream: 'stdout' | 'stderr', end: number | undefined, sink: LogSink, flush: boolean): Promise<void> {
    let fh: fsp.FileHandle;
    try { fh = await fsp.open(path.join(this.dir, `${stream}.log`), 'r'); } catch { return; } // not written yet
    try {
      const limit = end ?? (await fh.stat()).size;
      while (this.pos[stream] < limit) {
        const buf = Buffer.alloc(Math.min(CHUNK, limit - this.pos[stream]));
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.pos[stream]);
        if (!bytesRead) break;
        this.pos[stream] += bytesRead;
        this.lines(stream, buf.subarray(0, bytesRead), sink);
      }
    } finally { await fh.close(); }
    if (flush && this.partial[stream].length) {
      sink(stream, this.partial[stream].toString('utf8').replace(/\r$/, ''));
      this.partial[stream] = Buffer.alloc(0);
    }
  }

  /** Whole lines to the sink; the rest waits for its newline (bytes, so a UTF-8 character is never cut). */
  private lines(stream: 'stdout' | 'stderr', data: Buffer, sink: LogSink): void {
    let buf = this.partial[stream].length ? Buffer.concat([this.partial[stream], data]) : data;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      sink(stream, buf.subarray(0, nl).toString('utf8').replace(/\r$/, ''));
      buf = buf.subarray(nl + 1);
    }
    this.partial[stream] = Buffer.from(buf);
  }
}
