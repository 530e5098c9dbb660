// The metrics protocol, any language, no library: a stdout line `@expctl {"step": 10, "loss": 0.31}`
// or a JSON line appended to $EXPCTL_METRICS_FILE. Bad lines are counted, never fatal.
//
// What a run reports is normalised before it reaches metrics.jsonl, so that file stays plain JSON
// lines any tool reads: Python's `json.dumps` spellings NaN, Infinity and -Infinity are accepted
// and kept as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers, and a diverged
// loss must stay visible); nested objects become dotted names (`{"eval": {"loss": 1}}` →
// `eval.loss`); arrays stay values. Pure: no Node imports, the webviews use it too.
import { closest } from '../util/strings';
import { formatNumber } from '../util/units';

export const METRIC_PREFIX = '@expctl ';

export type MetricRecord = Record<string, unknown>;

/** Where metrics are read from: stdout lines, the metrics file, or the sweep's Kafka topic (metrics.kafka). */
export type MetricSource = 'stdout' | 'file' | 'kafka';
export const DEFAULT_SOURCES: readonly MetricSource[] = ['stdout', 'file'];

/** A number JSON cannot hold, as metrics.jsonl and run.json spell it. */
export type NonFinite = 'NaN' | 'Infinity' | '-Infinity';
const NON_FINITE = new Set<unknown>(['NaN', 'Infinity', '-Infinity']);

export function isNonFinite(v: unknown): v is NonFinite {
  return NON_FINITE.has(v);
}

function nonFiniteText(v: number): NonFinite {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

export interface ParsedLine { record?: MetricRecord; error?: string }

/** What may come before the marker: nothing, or the rank prefix torchrun adds to its workers' lines (`[rank0]: `). */
const RANK_PREFIX = /^(?:\[(?:default)?rank\d+\]:? ?)?/;

/**
 * A stdout line: undefined when it is not a metrics line at all — one where the marker is not at its
 * start (after a torchrun rank prefix): a log line quoting `@expctl {…}`, or a PyTorchJob worker's
 * `[worker-0] @expctl …` in a cluster run's merged log, is not a report. Errors name the line's column.
 */
export function parseStdoutLine(line: string): ParsedLine | undefined {
  const at = RANK_PREFIX.exec(line)![0].length;
  if (!line.startsWith(METRIC_PREFIX, at)) return undefined;
  return parseJsonRecord(line.slice(at + METRIC_PREFIX.length), at + METRIC_PREFIX.length);
}

/** A line of the metrics file (blank lines are ignored by the caller), normalised; `column0` places errors in the line. */
export function parseJsonRecord(text: string, column0 = 0): ParsedLine {
  const p = parseMetricJson(text);
  if (p.error !== undefined) return { error: `not JSON: ${p.error} (column ${column0 + p.at! + 1})` };
  const v = p.value;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: `expected a JSON object like {"loss": 0.31}, found ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}` };
  const record = normalizeRecord(v as MetricRecord);
  for (const name of Object.keys(record)) {
    const problem = metricNameProblem(name);
    if (problem) return { error: `metric name ${JSON.stringify(clip(name, 60))} ${problem}; the line was not recorded` };
  }
  return { record };
}

/** The longest metric name (a dotted name of a nested value included), in characters. */
export const MAX_METRIC_NAME = 200;

/**
 * Why a (flattened) metric name cannot be a metric, or undefined: names become runs.csv columns,
 * table headers and chart labels. Any other text is a name, `__proto__` and `constructor` included
 * (summaries keep them as own properties, never as prototypes).
 */
export function metricNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.split('.').includes('')) return 'has an empty part (a key "" or dots next to each other, at its start or end)';
  if (name.length > MAX_METRIC_NAME) return `is longer than ${MAX_METRIC_NAME} characters`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character (a newline, tab, NUL…)';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// JSON with NaN, Infinity and -Infinity: JSON.parse first (native, and what nearly every line is);
// only a line it refuses is scanned here. String literals are decoded by JSON.parse as well, so
// "NaN" inside a string stays text and escapes mean exactly what JSON says.

const MAX_DEPTH = 256;

class JsonError extends Error {
  constructor(message: string, readonly at: number) { super(message); }
}

/** The value of `text`, or an error with its 0-based position. */
export function parseMetricJson(text: string): { value?: unknown; error?: string; at?: number } {
  try { return { value: JSON.parse(text) }; } catch { /* maybe NaN or Infinity; else the scan says what is wrong */ }
  try {
    return { value: new Scanner(text).document() };
  } catch (e) {
    if (e instanceof JsonError) return { error: e.message, at: e.at };
    throw e;
  }
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

class Scanner {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): unknown {
    const v = this.value(0);
    this.ws();
    if (this.i < this.s.length) throw new JsonError(`unexpected ${this.found()} after the JSON value`, this.i);
    return v;
  }

  private ws(): void {
    while (this.i < this.s.length && WS.has(this.s.charCodeAt(this.i))) this.i++;
  }

  private found(): string {
    if (this.i >= this.s.length) return 'end of line';
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i, this.i + 40))?.[0];
    return JSON.stringify(word ?? this.s[this.i]);
  }

  /** A hint for what people write instead of JSON: Python's repr of a dict, bare names. */
  private fail(expected: string): never {
    const c = this.s[this.i];
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i, this.i + 40))?.[0];
    let hint = '';
    if (c === "'") hint = ' — strings and names need double quotes (print json.dumps(d), not the dict itself)';
    else if (word === 'True' || word === 'False' || word === 'None') hint = ' — that is Python; JSON writes true, false, null (use json.dumps)';
    else if (word === 'nan' || word === 'inf') hint = ' — JSON-style NaN and Infinity are accepted, as json.dumps writes them';
    else if (word && expected === 'a property name in double quotes') hint = ' — property names need double quotes';
    throw new JsonError(`expected ${expected}, found ${this.found()}${hint}`, this.i);
  }

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new JsonError(`nested deeper than ${MAX_DEPTH} levels`, this.i);
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of WORDS) {
      if (this.s.startsWith(word, this.i)) { this.i += word.length; return v; }
    }
    return this.fail('a value');
  }

  private object(depth: number): MetricRecord {
    const out: MetricRecord = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') { this.i++; return out; }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('a property name in double quotes');
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail('":" after the property name');
      this.i++;
      put(out, key, this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') { this.i--; this.fail('"," or "}"'); }
    }
  }

  private array(depth: number): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') { this.i++; return out; }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') { this.i--; this.fail('"," or "]"'); }
    }
  }

  private string(): string {
    const start = this.i;
    for (let j = start + 1; j < this.s.length; j++) {
      const c = this.s.charCodeAt(j);
      if (c === 0x5c) { j++; continue; } // backslash: the next character is escaped
      if (c === 0x22) {
        this.i = j + 1;
        try { return JSON.parse(this.s.slice(start, j + 1)) as string; } catch { throw new JsonError('a bad escape or control character in a string', start); }
      }
    }
    throw new JsonError('a string that never ends (no closing ")', start);
  }

  private number(): number {
    const m = NUMBER.exec(this.s.slice(this.i, this.i + 400));
    if (!m) {
      if (this.s.startsWith('-Infinity', this.i)) { this.i += 9; return -Infinity; }
      this.fail('a number');
    }
    this.i += m[0].length;
    return Number(m[0]);
  }
}

const WORDS: ReadonlyArray<[string, unknown]> = [['true', true], ['false', false], ['null', null], ['NaN', NaN], ['Infinity', Infinity]];
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/;

/** Sets a property, also one named `__proto__`, as JSON.parse does (an own property, never the prototype). */
function put(o: MetricRecord, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

// ---------------------------------------------------------------------------------------------

/**
 * A record as metrics.jsonl holds it: nested objects flattened to dotted names, non-finite numbers
 * (also inside arrays) as "NaN" / "Infinity" / "-Infinity"; arrays stay values (a later issue
 * treats them as distributions).
 */
export function normalizeRecord(r: MetricRecord): MetricRecord {
  const out: MetricRecord = {};
  const walk = (o: MetricRecord, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as MetricRecord, `${prefix}${k}.`);
      else put(out, `${prefix}${k}`, plain(v));
    }
  };
  walk(r, '');
  return out;
}

function plain(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : nonFiniteText(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

// ---------------------------------------------------------------------------------------------

/**
 * A metric over a run: `count` reports, of which `non_finite` were NaN or ±Infinity; `last` is the
 * last report whatever it was; min, max and mean are over the finite ones (absent when none was).
 */
export interface MetricSummary { last: number | NonFinite; min?: number; max?: number; mean?: number; count: number; non_finite?: number }

/** The most metrics one run summarises: each is four runs.csv columns. */
export const MAX_METRICS = 1000;

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const summarised = (v: unknown): v is number | NonFinite => isFiniteNumber(v) || isNonFinite(v);

/** Running summary of every numeric field (`step`, `epoch` and `ts` too: they are data) of normalised records. */
export class MetricSummarizer {
  readonly summary: Record<string, MetricSummary> = {};
  private names = 0;

  /** Why `r` cannot be added (it would make more than MAX_METRICS metrics), or undefined. */
  refuse(r: MetricRecord): string | undefined {
    let fresh = 0;
    for (const [k, v] of Object.entries(r)) if (summarised(v) && !Object.hasOwn(this.summary, k)) fresh++;
    return this.names + fresh > MAX_METRICS
      ? `it would make more than ${MAX_METRICS} different metrics in this run (${this.names} so far): report fewer names, e.g. a list as one value; the line was not recorded`
      : undefined;
  }

  add(r: MetricRecord): void {
    for (const [k, v] of Object.entries(r)) {
      if (!summarised(v)) continue;
      const finite = isFiniteNumber(v);
      let s = Object.hasOwn(this.summary, k) ? this.summary[k] : undefined;
      if (!s) { put(this.summary, k, (s = { last: v, count: 0 })); this.names++; }
      s.count++;
      s.last = v;
      if (!finite) { s.non_finite = (s.non_finite ?? 0) + 1; continue; }
      if (s.mean === undefined) { s.min = s.max = s.mean = v; continue; }
      if (v < s.min!) s.min = v;
      if (v > s.max!) s.max = v;
      s.mean += (v - s.mean) / (s.count - (s.non_finite ?? 0)); // incremental mean: stable, no big sums
    }
  }
}

/** A metric value for people: a number in the CLI's format, or NaN / Infinity / -Infinity as is. */
export function metricText(v: number | NonFinite | undefined): string {
  return v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : v;
}

/** A finite number from a summary value, else undefined (NaN and ±Infinity rank nowhere). */
export function finiteValue(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// What could not be read, and the sentences every view shows for it.

export interface BadLine {
  source: MetricSource;
  /** 1-based, in stdout.log or in the metrics file; for a Kafka record, its offset. */
  line: number;
  /** A Kafka record's partition. */
  partition?: number;
  /** The line, cut at BAD_TEXT_MAX characters. */
  text: string;
  error: string;
}

export const BAD_TEXT_MAX = 200;

const where = (b: BadLine) => (b.source === 'kafka' ? `Kafka partition ${b.partition ?? '?'} offset ${b.line}` : `${b.source === 'stdout' ? 'stdout' : 'metrics file'} line ${b.line}`);
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * "3 metric lines could not be read; first at stdout line 12: @expctl {loss: 1} — expected …";
 * for a sweep, `runs` and the run the first one is in.
 */
export function badLinesSentence(count: number, first: BadLine | undefined, o: { runs?: number; run?: string } = {}): string {
  const lines = `${count} metric line${count === 1 ? '' : 's'} could not be read${o.runs !== undefined ? ` in ${o.runs} run${o.runs === 1 ? '' : 's'}` : ''}`;
  if (!first) return lines;
  return `${lines}; ${count === 1 ? '' : 'first '}at ${o.run ? `${o.run} ` : ''}${where(first)}: ${clip(first.text.trim(), 80)} — ${first.error}`;
}

/** What a run's record has to say beyond its status: unreadable metric lines, then its `warnings`. */
export function runWarnings(r: { metrics_bad_lines?: number; metrics_first_bad?: BadLine; warnings?: string[] }): string[] {
  const out: string[] = [];
  if (r.metrics_bad_lines) out.push(badLinesSentence(r.metrics_bad_lines, r.metrics_first_bad));
  if (r.warnings) out.push(...r.warnings);
  return out;
}

/**
 * The problem with a run that ended without ever reporting `name` (the sweep's metric or
 * metrics.primary), naming what it did report; undefined when it reported it (NaN counts).
 */
export function missingPrimary(name: string | undefined, summary: Record<string, MetricSummary>): string | undefined {
  if (name === undefined || Object.hasOwn(summary, name)) return undefined;
  const names = Object.keys(summary);
  if (!names.length) return `never reported its primary metric "${name}" — no metric at all (print @expctl {"${name}": …} on stdout or append that JSON line to $EXPCTL_METRICS_FILE)`;
  const near = closest(name, names);
  const list = names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : names.join(', ');
  return `never reported its primary metric "${name}"${near ? ` (did you mean "${near}"?)` : ''} — it reported ${list}`;
}

// ---------------------------------------------------------------------------------------------

/** Rule metrics-source-kafka: `metrics.sources` lists kafka, so the runner needs to know which topic on which brokers. */
export const KAFKA_SOURCE_MESSAGE = 'metrics.sources lists kafka but metrics.kafka is missing: add metrics.kafka: { topic: TOPIC, bootstrap_servers: [host:port] } '
  + '(the topic the runs produce their metrics to, keyed by $EXPCTL_RUN_ID), or remove "kafka" from metrics.sources';

/** The longest line parsed, in characters: the rest of a longer one is dropped (the log file keeps it whole). */
export const MAX_LINE = 64 * 1024;

/**
 * Splits a stream of text into lines; `flush` returns the unterminated rest. A line ends at `\n`,
 * `\r\n` or a lone `\r` (tqdm redraws its progress bar with `\r` and no newline for minutes), and
 * is cut at MAX_LINE characters, the rest dropped, so memory stays flat whatever a program prints
 * (a metric line cut so is counted as unreadable: see MetricsCollector).
 */
export class LineSplitter {
  private rest = '';
  /** The current line has lost characters past MAX_LINE. */
  private over = false;
  /** The last chunk ended with `\r`: a `\n` starting the next one ends nothing more. */
  private cr = false;

  push(chunk: string): string[] {
    const lines: string[] = [];
    let from = this.cr && chunk.startsWith('\n') ? 1 : 0;
    this.cr = false;
    const end = /\r\n?|\n/g;
    end.lastIndex = from;
    for (let m = end.exec(chunk); m; m = end.exec(chunk)) {
      this.add(chunk, from, m.index);
      lines.push(this.take());
      from = end.lastIndex;
      if (from === chunk.length && m[0] === '\r') this.cr = true;
    }
    this.add(chunk, from, chunk.length);
    return lines;
  }

  flush(): string | undefined {
    const had = this.rest !== '' || this.over;
    const r = this.take();
    return had ? r : undefined;
  }

  /** Appends chunk[from, to) to the current line, up to MAX_LINE characters. */
  private add(chunk: string, from: number, to: number): void {
    const room = MAX_LINE - this.rest.length;
    if (to - from > room) { this.over = true; to = from + room; }
    if (to > from) this.rest += chunk.slice(from, to);
  }

  private take(): string {
    const line = this.rest;
    this.rest = '';
    this.over = false;
    return line;
  }
}
