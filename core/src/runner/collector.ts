// One run's metrics, from the sources its experiment names: stdout lines as the target streams
// them, and the file the run appends to ($EXPCTL_METRICS_FILE, `metrics-file.jsonl` in the run's
// folder), read as it grows. Every record goes to metrics.jsonl normalised (metrics.ts) and into the
// summary; every line that cannot be read is counted, and the first kept with where it was. Records
// from the sweep's Kafka topic (kafka-metrics.ts hands them over) are kept as they came in
// `metrics-kafka.jsonl` first — the run's own copy, from which metrics.jsonl is derived again like
// from the other sources — and de-duplicated by (partition, offset) and by (step, metric name).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendLine, writeFileAtomic } from '../store/atomic';
import { FileLines } from '../util/file-lines';
import { BAD_TEXT_MAX, DEFAULT_SOURCES, MAX_LINE, MetricSummarizer, parseJsonRecord, parseStdoutLine } from './metrics';
import type { BadLine, MetricSource, MetricSummary, ParsedLine } from './metrics';

/** The file a run appends metrics to (EXPCTL_METRICS_FILE): the run's own, read by the runner. */
export const METRICS_FILE = 'metrics-file.jsonl';
/** The Kafka records of a run as they came, one `{"p": partition, "o": "offset", "v": "value"}` per line. */
export const KAFKA_LOG = 'metrics-kafka.jsonl';
/** A record of the metrics topic for one run: its value as text. */
export interface KafkaItem { partition: number; offset: string; value: string }
/** How often the metrics file is looked at while an attempt runs (live views re-read metrics.jsonl about as often). */
const FILE_POLL_MS = 1000;
export interface CollectedMetrics {
  summary: Record<string, MetricSummary>;
  badLines: number;
  firstBad?: BadLine;
  /** Kafka records (or all their metrics) dropped as already stored. */
  kafkaDuplicates?: number;
}

export class MetricsCollector {
  private summarizer = new MetricSummarizer();
  private bad = 0;
  private firstBad?: BadLine;
  /** stdout lines seen: the next one is line stdoutLines + 1 of stdout.log. */
  private stdoutLines = 0;
  private file: FileLines;
  private timer?: NodeJS.Timeout;
  private readonly stdout: boolean;
  private readonly fromFile: boolean;
  private readonly fromKafka: boolean;
  private readonly kafkaLog: string;
  /** `partition:offset` of every Kafka record taken. */
  private kafkaSeen = new Set<string>();
  /** `step \0 name` of every metric a Kafka record with a step reported. */
  private kafkaSteps = new Set<string>();
  private kafkaDuplicates = 0;
  /** metrics.jsonl lines of a Kafka batch, written at once. */
  private pending?: string[];
  /** Text of metrics.jsonl being rebuilt, instead of appends. */
  private rebuilding?: string[];
  private readonly out: string;
  private readonly stdoutLog: string;

  /**
   * `resumed`: the run has attempts from a runner that stopped — what it wrote to metrics.jsonl,
   * and how far it read, is unknown, and an attempt it adopts is not streamed: metrics.jsonl is
   * derived again from stdout.log and the metrics file before the next attempt and at the end.
   */
  constructor(runDir: string, sources: readonly string[] | undefined, private resumed = false) {
    this.out = path.join(runDir, 'metrics.jsonl');
    this.stdoutLog = path.join(runDir, 'stdout.log');
    this.file = new FileLines(path.join(runDir, METRICS_FILE));
    const s = sources ?? DEFAULT_SOURCES;
    this.stdout = s.includes('stdout');
    this.fromFile = s.includes('file');
    this.fromKafka = s.includes('kafka');
    this.kafkaLog = path.join(runDir, KAFKA_LOG);
  }

  /**
   * Records of this run from the metrics topic: each new one is appended to metrics-kafka.jsonl (one
   * write per batch) before it counts — the store has it before its offset is committed — and one
   * delivered again (same partition and offset) is dropped.
   */
  kafkaRecords(items: readonly KafkaItem[]): void {
    if (!this.fromKafka) return;
    const fresh = items.filter((i) => {
      const k = `${i.partition}:${i.offset}`;
      if (this.kafkaSeen.has(k)) { this.kafkaDuplicates++; return false; }
      this.kafkaSeen.add(k);
      return true;
    });
    if (!fresh.length) return;
    appendLine(this.kafkaLog, fresh.map(kafkaLogLine).join('\n'));
    this.pending = [];
    try {
      for (const i of fresh) this.kafkaItem(i);
      if (this.pending.length) appendLine(this.out, this.pending.join('\n'));
    } finally {
      this.pending = undefined;
    }
  }

  /**
   * One record: its `run_id` is not a metric; with a `step`, metrics already reported at that step
   * are dropped (a record produced twice), and a record left with nothing new counts as a duplicate.
   */
  private kafkaItem(i: KafkaItem): void {
    let p: ParsedLine = parseJsonRecord(i.value);
    const r = p.record;
    if (r) {
      delete r.run_id;
      if (r.step !== undefined) {
        const step = JSON.stringify(r.step);
        let fresh = 0;
        let dropped = 0;
        for (const name of Object.keys(r)) {
          if (name === 'step') continue;
          const k = `${step}\0${name}`;
          if (this.kafkaSteps.has(k)) { delete r[name]; dropped++; } else { this.kafkaSteps.add(k); fresh++; }
        }
        if (dropped && !fresh) { this.kafkaDuplicates++; return; }
      }
      p = { record: r };
    }
    this.take('kafka', Number(i.offset), i.value, p, i.partition);
  }

  /** Every line of the run's stdout, in order (they are numbered as in stdout.log). */
  stdoutLine(line: string): void {
    this.stdoutLines++;
    if (this.stdout) this.take('stdout', this.stdoutLines, line, parseStdoutLine(line));
  }

  /** Before an attempt starts: its stdout continues stdout.log, its file lines come as they are written. */
  beginAttempt(): void {
    if (this.resumed) this.rebuild(false);
    // An earlier attempt's unterminated last line is continued by this attempt's first one.
    else if (this.stdoutLines > 0 && !endsWithNewline(this.stdoutLog)) this.stdoutLines--;
    if (this.fromFile) {
      this.timer = setInterval(() => this.readFile(false), FILE_POLL_MS);
      this.timer.unref();
    }
  }

  /** After the attempt ended: the rest of the metrics file. */
  endAttempt(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.readFile(true);
  }

  /** The summary and unreadable lines of the whole run. */
  finish(): CollectedMetrics {
    if (this.resumed) this.rebuild(true);
    return { summary: this.summarizer.summary, badLines: this.bad, ...(this.firstBad ? { firstBad: this.firstBad } : {}), ...(this.kafkaDuplicates ? { kafkaDuplicates: this.kafkaDuplicates } : {}) };
  }

  private readFile(end: boolean): void {
    if (this.fromFile) this.file.read((l, n) => { if (l.trim()) this.take('file', n, l, parseJsonRecord(l)); }, end);
  }

  private take(source: MetricSource, line: number, text: string, p: ParsedLine | undefined, partition?: number): void {
    const refused = p?.record && this.summarizer.refuse(p.record);
    if (refused) p = { error: refused };
    if (p?.record) {
      const json = JSON.stringify(p.record);
      if (this.rebuilding) this.rebuilding.push(json);
      else if (this.pending) this.pending.push(json);
      else appendLine(this.out, json);
      this.summarizer.add(p.record);
    } else if (p?.error) {
      this.bad++;
      // A line reaches here cut at MAX_LINE (LineSplitter): say so rather than only "not JSON".
      const error = text.length >= MAX_LINE ? `longer than the ${MAX_LINE / 1024} KiB line limit, so only its start was read (${p.error}); report fewer values per line` : p.error;
      this.firstBad ??= { source, line, ...(partition !== undefined ? { partition } : {}), text: text.length > BAD_TEXT_MAX ? text.slice(0, BAD_TEXT_MAX) : text, error };
    }
  }

  /**
   * metrics.jsonl, the summary and the counts again from the sources' files, replaced at once.
   * Records come stdout first, then the file, then Kafka: the order between sources is not kept.
   */
  private rebuild(end: boolean): void {
    this.resumed = false;
    this.summarizer = new MetricSummarizer();
    this.bad = 0;
    this.firstBad = undefined;
    this.stdoutLines = 0;
    this.file = new FileLines(this.file.file);
    this.kafkaSeen = new Set();
    this.kafkaSteps = new Set();
    this.kafkaDuplicates = 0;
    this.rebuilding = [];
    try {
      new FileLines(this.stdoutLog).read((l) => this.stdoutLine(l), true);
      if (!endsWithNewline(this.stdoutLog) && this.stdoutLines > 0) this.stdoutLines--;
      this.readFile(end);
      if (this.fromKafka) {
        for (const i of readKafkaLog(this.kafkaLog)) {
          const k = `${i.partition}:${i.offset}`;
          if (this.kafkaSeen.has(k)) continue;
          this.kafkaSeen.add(k);
          this.kafkaItem(i);
        }
        // A runner killed mid-write may have left a cut last line: the next batch starts a line.
        if (!endsWithNewline(this.kafkaLog)) appendLine(this.kafkaLog, '');
      }
      writeFileAtomic(this.out, this.rebuilding.length ? `${this.rebuilding.join('\n')}\n` : '', false);
    } finally {
      this.rebuilding = undefined;
    }
  }
}

/** Whether a file is empty, absent or ends a line (`\n`, or tqdm's `\r`), so that the next write starts a line. */
function endsWithNewline(file: string): boolean {
  let fd: number;
  try { fd = fs.openSync(file, 'r'); } catch { return true; }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return true;
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, size - 1);
    return b[0] === 0x0a || b[0] === 0x0d;
  } finally {
    fs.closeSync(fd);
  }
}

const kafkaLogLine = (i: KafkaItem) => JSON.stringify({ p: i.partition, o: i.offset, v: i.value });

/** The records of a run's metrics-kafka.jsonl; a line a crash cut short is skipped (its offset was never committed, so it comes again). */
export function readKafkaLog(file: string): KafkaItem[] {
  const out: KafkaItem[] = [];
  new FileLines(file).read((l) => {
    try {
      const j = JSON.parse(l) as { p?: unknown; o?: unknown; v?: unknown };
      if (typeof j.p === 'number' && typeof j.o === 'string' && typeof j.v === 'string') out.push({ partition: j.p, offset: j.o, value: j.v });
    } catch { /* cut short */ }
  }, true);
  return out;
}

/**
 * Records for a run that no collector holds (it ended, or is not taken up yet): appended to its
 * metrics-kafka.jsonl unless already there, so that a rebuild of its metrics has them. Returns how
 * many were new.
 */
export function appendToKafkaLog(runDir: string, items: readonly KafkaItem[]): number {
  const file = path.join(runDir, KAFKA_LOG);
  const seen = new Set(readKafkaLog(file).map((i) => `${i.partition}:${i.offset}`));
  const fresh = items.filter((i) => !seen.has(`${i.partition}:${i.offset}`) && seen.add(`${i.partition}:${i.offset}`));
  if (fresh.length) {
    const cut = !endsWithNewline(file);
    appendLine(file, `${cut ? '\n' : ''}${fresh.map(kafkaLogLine).join('\n')}`);
  }
  return fresh.length;
}
