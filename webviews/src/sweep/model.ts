// The Sweep panel apart from the DOM: the trial table's columns, its sort and filter state, and the
// param-vs-metric scatter.
import { scatterConfig, type ChartTheme, type ScatterPoint } from '../../../core/src/charts';
import type { Goal } from '../../../core/src/config/types';
import type { NamedChart } from '../../../core/src/report/charts';
import { duration } from '../../../core/src/report/format';
import { finiteValue, isNonFinite } from '../../../core/src/runner/metrics';
import type { RunRow, SweepInfo, UiStates } from '../contract';
import { isMetricName, num, paramLabel, paramText } from '../lib/format';
import { filterRows, sortRows, toggleSort, type Column } from '../lib/table';

export type SweepUi = UiStates['sweep'];

export type SweepAction =
  | { type: 'sort'; column: string }
  | { type: 'text'; text: string }
  | { type: 'status'; status: string }
  | { type: 'scatterParam'; param: string };

export function sweepUi(ui: SweepUi, a: SweepAction): SweepUi {
  switch (a.type) {
    case 'sort': return { ...ui, sort: toggleSort(ui.sort, a.column) };
    case 'text': return { ...ui, text: a.text };
    case 'status': return { ...ui, status: a.status || undefined };
    case 'scatterParam': return { ...ui, scatterParam: a.param };
  }
}

/** Parameter paths over all runs, in name order. */
export function paramsOf(runs: readonly RunRow[]): string[] {
  const s = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.params)) s.add(k);
  return [...s].sort();
}

/** The sweep's metric; else the first metric its runs report, minimized. */
export function primaryMetric(sweep: SweepInfo | undefined, runs: readonly RunRow[]): { name: string; goal: Goal } | undefined {
  if (sweep?.metric) return sweep.metric;
  for (const r of runs) for (const k of Object.keys(r.summary)) if (isMetricName(k)) return { name: k, goal: 'minimize' };
  return undefined;
}

/** The run's last value of the metric, when finite (charts, the best trial). */
export function metricValue(r: RunRow, metric: string): number | undefined {
  return finiteValue(r.summary[metric]?.last);
}

/** The same for the table: NaN and ±Infinity too, as the numbers they are (NaN sorts last). */
export function metricCell(r: RunRow, metric: string): number | undefined {
  const v = r.summary[metric]?.last;
  return typeof v === 'number' ? v : isNonFinite(v) ? Number(v) : undefined;
}

/** A parameter value as a table or chart wants it: numbers as numbers, the rest as text. */
export function paramValue(v: unknown): number | string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' ? v : paramText(v);
}

export function trialColumns(runs: readonly RunRow[], params: readonly string[], metric: string | undefined): Column<RunRow>[] {
  const cols: Column<RunRow>[] = [
    { id: 'index', label: '#', value: (r) => r.trial.index, numeric: true, width: 0.5 },
    { id: 'trial', label: 'Trial', value: (r) => r.trial.name, width: 2.5 },
  ];
  if (runs.some((r) => r.trial.repeat > 0)) cols.push({ id: 'repeat', label: 'Repeat', value: (r) => r.trial.repeat, numeric: true, width: 0.6 });
  cols.push({ id: 'status', label: 'Status', value: (r) => r.status });
  for (const p of params) cols.push({ id: `param:${p}`, label: paramLabel(p), value: (r) => paramValue(r.params[p]), numeric: runs.every((r) => typeof (r.params[p] ?? 0) === 'number') });
  if (metric) {
    const text = (v: number | undefined) => (v === undefined || Number.isFinite(v) ? num(v) : String(v)); // a diverged run shows NaN, not a blank
    cols.push({ id: 'metric', label: metric, value: (r) => metricCell(r, metric), text: (r) => text(metricCell(r, metric)), numeric: true, width: 1.2 });
  }
  cols.push(
    { id: 'duration', label: 'Duration', value: (r) => r.duration_s, text: (r) => (r.duration_s === undefined ? '' : duration(r.duration_s)), numeric: true },
    { id: 'attempts', label: 'Attempts', value: (r) => r.attempt_count, numeric: true, width: 0.9 },
  );
  if (runs.some((r) => r.failure_class)) cols.push({ id: 'failure', label: 'Failure', value: (r) => r.failure_class });
  return cols;
}

/** The rows the table shows: status filter, text filter, then sort. */
export function visibleRows(runs: readonly RunRow[], columns: readonly Column<RunRow>[], ui: SweepUi): RunRow[] {
  const byStatus = ui.status ? runs.filter((r) => r.status === ui.status) : runs;
  return sortRows(filterRows(byStatus, columns, ui.text ?? ''), columns, ui.sort);
}

/** Each run with a value of the metric, against one parameter; the best trial as its own series. */
export function scatterChart(runs: readonly RunRow[], param: string, metric: { name: string; goal: Goal }, bestId: string | undefined, theme: ChartTheme): NamedChart {
  const points: ScatterPoint[] = [];
  let best: ScatterPoint | undefined;
  for (const r of runs) {
    const y = metricValue(r, metric.name);
    const x = paramValue(r.params[param]);
    if (y === undefined || x === undefined) continue;
    const p: ScatterPoint = { x, y, label: r.trial.name, series: 'trials' };
    if (r.id === bestId) best = { ...p, series: 'best trial' };
    else points.push(p);
  }
  // Trials first: the first series takes the first palette colour, the best one stands out in the second.
  if (best) points.push(best);
  const config = scatterConfig({
    points, title: `${metric.name} by ${paramLabel(param)}`, subtitle: `${points.length} runs · ${metric.goal}`,
    xTitle: paramLabel(param), yTitle: metric.name,
  }, theme);
  // The best trial must not hide among a thousand others: larger, outlined, drawn last (lowest order).
  const bestSet = config.data.datasets.find((d) => d.label === 'best trial');
  if (bestSet) Object.assign(bestSet, { pointRadius: 7, pointHoverRadius: 8, pointStyle: 'rectRot', borderColor: theme.foreground, borderWidth: 2, order: -1 });
  return { name: `scatter-${paramLabel(param)}`, title: `${metric.name} by ${paramLabel(param)}`, config: config as NamedChart['config'] };
}
