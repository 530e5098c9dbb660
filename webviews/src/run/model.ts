// The Run panel's data and charts, apart from the DOM: series grown by live updates, one chart per
// metric over step, telemetry over time, the attempts table.
import { metricLinesConfig, type ChartTheme, type MetricRun, type Point } from '../../../core/src/charts';
import type { NamedChart } from '../../../core/src/report/charts';
import { duration } from '../../../core/src/report/format';
import { isNonFinite, type NonFinite } from '../../../core/src/runner/metrics';
import type { TelemetryRecord } from '../../../core/src/runner/telemetry';
import type { AttemptRecord, RunRecord } from '../../../core/src/store/store';
import { csvTable } from '../../../core/src/util/csv';
import type { PanelUpdates, RunData, SweepInfo } from '../contract';
import { isMetricName, localTime, num } from '../lib/format';
import { appendSeries, metricXTitle } from '../lib/series';
import type { Column } from '../lib/table';

export class RunModel {
  run: RunRecord;
  sweep?: SweepInfo;
  config: string;
  readonly metrics = new Map<string, Point[]>();
  /** Metrics whose x are steps; the others are over their count of reports. */
  readonly steps = new Set<string>();
  telemetry: TelemetryRecord[];

  constructor(d: RunData) {
    this.run = d.run;
    this.sweep = d.sweep;
    this.config = d.config;
    this.telemetry = d.telemetry.slice();
    appendSeries(this.metrics, d.metrics, this.steps);
  }

  /** What the update changed: metrics that got points, new telemetry, a new record. */
  apply(u: PanelUpdates['run']): { metrics: string[]; telemetry: boolean; run: boolean } {
    if (u.run) this.run = u.run;
    for (const t of u.telemetry) this.telemetry.push(t);
    return { metrics: appendSeries(this.metrics, u.metrics, this.steps), telemetry: u.telemetry.length > 0, run: !!u.run };
  }

  /** The sweep's primary metric first, then by name. */
  metricNames(): string[] {
    const primary = this.sweep?.metric?.name;
    return [...this.metrics.keys()].sort((a, b) => (a === primary ? -1 : b === primary ? 1 : a.localeCompare(b)));
  }
}

function lines(name: string, title: string, runs: MetricRun[], theme: ChartTheme, o: { unit?: string; subtitle?: string; xTitle?: string; xUnit?: string } = {}): NamedChart {
  const config = metricLinesConfig({ runs, metric: title, title, subtitle: o.subtitle, unit: o.unit, xTitle: o.xTitle, xUnit: o.xUnit }, theme);
  // One line needs no legend: the title names it.
  if (runs.length === 1 && config.options?.plugins?.legend) config.options.plugins.legend.display = false;
  return { name, title, config: config as NamedChart['config'] };
}

export function metricChart(model: RunModel, name: string, theme: ChartTheme): NamedChart {
  const s = model.run.summary[name];
  const pts = model.metrics.get(name) ?? [];
  // NaN and ±Infinity have no point on the chart: the subtitle says how many there were, and a last one.
  const count = `${pts.length} point${pts.length === 1 ? '' : 's'}${s?.non_finite ? ` · ${s.non_finite} NaN/Infinity not drawn` : ''}`;
  const subtitle = s ? `last ${valueText(s.last)} · min ${num(s.min)} · max ${num(s.max)} · ${count}` : count;
  return lines(`metric-${name}`, name, [{ label: model.run.trial.name, points: pts }], theme, { subtitle, xTitle: metricXTitle(model.steps.has(name)) });
}

/** Time axis unit for a span of seconds: seconds, minutes or hours, whichever reads best. */
export function timeUnit(spanS: number): { unit: string; div: number } {
  return spanS > 2 * 3600 ? { unit: 'h', div: 3600 } : spanS > 120 ? { unit: 'min', div: 60 } : { unit: 's', div: 1 };
}

/** GPU utilisation, memory and power per GPU, CPU and RSS, over time since the first sample. */
export function telemetryCharts(records: readonly TelemetryRecord[], theme: ChartTheme): NamedChart[] {
  const times = records.map((r) => Date.parse(r.t));
  const t0 = times.find(Number.isFinite);
  if (t0 === undefined) return [];
  const last = times.reduce((m, t) => (t > m ? t : m), t0); // no spread: a long run has 100k+ samples
  const { unit, div } = timeUnit((last - t0) / 1000);
  const gpu = { util: new Map<number, Point[]>(), mem: new Map<number, Point[]>(), power: new Map<number, Point[]>() };
  const cpu: Point[] = [];
  const rss: Point[] = [];
  const add = (m: Map<number, Point[]>, i: number, p: Point) => { let a = m.get(i); if (!a) m.set(i, (a = [])); a.push(p); };
  records.forEach((r, k) => {
    const x = (times[k] - t0) / 1000 / div;
    if (!Number.isFinite(x)) return;
    if (typeof r.cpu_pct === 'number') cpu.push({ x, y: r.cpu_pct });
    if (typeof r.rss_mb === 'number') rss.push({ x, y: r.rss_mb });
    for (const g of r.gpus ?? []) {
      if (typeof g.util === 'number') add(gpu.util, g.index, { x, y: g.util });
      if (typeof g.mem_mb === 'number') add(gpu.mem, g.index, { x, y: g.mem_mb });
      if (typeof g.power_w === 'number') add(gpu.power, g.index, { x, y: g.power_w });
    }
  });
  const per = (m: Map<number, Point[]>) => [...m.entries()].sort((a, b) => a[0] - b[0]).map(([i, points]) => ({ label: `GPU ${i}`, points }));
  const o = { xTitle: 'Time since the first sample', xUnit: unit };
  const out: NamedChart[] = [];
  if (gpu.util.size) out.push(lines('gpu-utilisation', 'GPU utilisation', per(gpu.util), theme, { ...o, unit: '%' }));
  if (gpu.mem.size) out.push(lines('gpu-memory', 'GPU memory', per(gpu.mem), theme, { ...o, unit: 'MB' }));
  if (gpu.power.size) out.push(lines('gpu-power', 'GPU power', per(gpu.power), theme, { ...o, unit: 'W' }));
  if (cpu.length) out.push(lines('cpu', 'CPU', [{ label: 'CPU', points: cpu }], theme, { ...o, unit: '%' }));
  if (rss.length) out.push(lines('rss', 'Resident memory', [{ label: 'RSS', points: rss }], theme, { ...o, unit: 'MB' }));
  return out;
}

export const ATTEMPT_COLUMNS: readonly Column<AttemptRecord>[] = [
  { id: 'n', label: '#', value: (a) => a.n, numeric: true, width: 0.4 },
  { id: 'started', label: 'Started', value: (a) => a.started, text: (a) => localTime(a.started), width: 1.6 },
  { id: 'duration', label: 'Duration', value: (a) => a.duration_s, text: (a) => (a.duration_s === undefined ? (a.ended ? '' : 'running') : duration(a.duration_s)), numeric: true },
  { id: 'exit', label: 'Exit', value: (a) => a.exit_code ?? a.signal ?? undefined, numeric: true, width: 0.7 },
  { id: 'failure', label: 'Failure', value: (a) => a.failure_class },
  { id: 'message', label: 'Message', value: (a) => a.message, width: 4 },
];

/** A summary value as a cell shows it: a number, or NaN / Infinity / -Infinity as such. */
export function valueText(v: number | NonFinite | undefined): string {
  return typeof v === 'string' ? v : num(v);
}

export interface SummaryRow { metric: string; last: number | NonFinite; min?: number; max?: number; mean?: number; count: number; non_finite?: number }

export const SUMMARY_COLUMNS: readonly Column<SummaryRow>[] = [
  { id: 'metric', label: 'Metric', value: (r) => r.metric, width: 2 },
  // A non-finite last value sorts as the number it is (NaN after everything) and shows as its name.
  { id: 'last', label: 'last', value: (r) => (isNonFinite(r.last) ? Number(r.last) : r.last), text: (r) => valueText(r.last), numeric: true },
  ...(['min', 'max', 'mean'] as const).map((k): Column<SummaryRow> => ({ id: k, label: k, value: (r) => r[k], text: (r) => num(r[k]), numeric: true })),
  { id: 'count', label: 'Reports', value: (r) => r.count, numeric: true },
  { id: 'non_finite', label: 'NaN/Inf', value: (r) => r.non_finite ?? 0, numeric: true, width: 0.8 },
];

export function summaryRows(run: RunRecord): SummaryRow[] {
  return Object.entries(run.summary).filter(([metric]) => isMetricName(metric)).map(([metric, s]) => ({ metric, ...s })).sort((a, b) => a.metric.localeCompare(b.metric));
}

/** Every metric point, long format: metric, step (or, for a metric reported without one, the report's number), value. */
export function metricsCsv(model: RunModel): string {
  const rows: unknown[][] = [];
  for (const name of model.metricNames()) {
    const steps = model.steps.has(name);
    for (const p of model.metrics.get(name)!) rows.push([name, steps ? p.x : '', steps ? '' : p.x, p.y]);
  }
  return csvTable(['metric', 'step', 'report', 'value'], rows);
}
