// The metrics protocol, any language, no library: a stdout line `@expctl {"step": 10, "loss": 0.31}`
// or a JSON line appended to $EXPCTL_METRICS_FILE. Bad lines are counted, never fatal.

export const METRIC_PREFIX = '@expctl ';

export type MetricRecord = Record<string, unknown>;

export interface ParsedLine { record?: MetricRecord; error?: string }

/** A stdout line: undefined when it is not a metrics line at all. */
export function parseStdoutLine(line: string): ParsedLine | undefined {
  const at = line.indexOf(METRIC_PREFIX);
  if (at < 0) return undefined;
  return parseJsonRecord(line.slice(at + METRIC_PREFIX.length));
}

/** A line of the metrics file (blank lines are ignored by the caller). */
export function parseJsonRecord(text: string): ParsedLine {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { return { error: `not JSON: ${(e as Error).message}` }; }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: 'not a JSON object' };
  return { record: v as MetricRecord };
}

export interface MetricSummary { last: number; min: number; max: number; mean: number; count: number }

/** Running last/min/max/mean of every numeric field (`step`, `epoch` and `ts` too: they are data). */
export class MetricSummarizer {
  readonly summary: Record<string, MetricSummary> = {};
  add(r: MetricRecord): void {
    for (const [k, v] of Object.entries(r)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const s = this.summary[k];
      if (!s) this.summary[k] = { last: v, min: v, max: v, mean: v, count: 1 };
      else {
        s.count++;
        s.last = v;
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
        s.mean += (v - s.mean) / s.count; // incremental mean: stable, no big sums
      }
    }
  }
}

/** Splits a byte stream into lines; `flush` returns the unterminated rest. */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
  flush(): string | undefined {
    const r = this.rest;
    this.rest = '';
    return r ? r : undefined;
  }
}
