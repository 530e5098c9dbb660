// Grouped statistics in the chart kind a user picks (`--chart-type box|bar|line|scatter|heatmap`):
// one entry point over the kind-specific builders, fed by the stats module's descriptions.

import type { ChartConfiguration } from 'chart.js';
import { bootstrapMedian, type BootstrapOptions } from '../stats/bootstrap';
import type { Description } from '../stats/describe';
import { errorBarsConfig } from './bars';
import { boxPlotConfig, type BoxGroup } from './boxplot';
import { font, type Headings } from './common';
import { legendLabels } from './format';
import { heatmapConfig } from './heatmap';
import { metricLinesConfig, type Point } from './lines';
import { scatterConfig, type ScatterPoint } from './scatter';
import { seriesColor, type ChartTheme } from './theme';

export const GROUP_CHART_KINDS = ['box', 'bar', 'line', 'scatter', 'heatmap'] as const;
export type GroupChartKind = (typeof GROUP_CHART_KINDS)[number];

/** The estimate a bar shows and the heatmap colours: a mean or median with its interval. */
export interface Estimate { value: number; low?: number; high?: number }

export interface ChartGroup {
  /** As the group is named in tables, e.g. `params.concurrency=8, params.input_size=large`. */
  label: string;
  /** The group's value of each grouping key (heatmap rows and columns); default: read from a `k=v, k=v` label. */
  keys?: Readonly<Record<string, string | number>>;
  n?: number;
  /** box */
  box?: Omit<BoxGroup, 'label' | 'n'>;
  /** bar, heatmap */
  estimate?: Estimate;
  /** line: the metric over steps, one series per run of the group. */
  series?: ReadonlyArray<ReadonlyArray<Point>>;
  /** scatter: one point per run (x a parameter or a second metric, y the metric). */
  points?: ReadonlyArray<Omit<ScatterPoint, 'series'>>;
}

export interface GroupChartInput extends Headings {
  groups: readonly ChartGroup[];
  metric: string;
  unit?: string;
  groupTitle?: string;
  /** What the estimate is, for titles: default `mean with 95% CI`. */
  statistic?: string;
  /** line and scatter: the x axis. */
  xTitle?: string;
  xUnit?: string;
  /** heatmap: the grouping keys along rows and columns; default: the first two keys of the groups. */
  rowKey?: string;
  colKey?: string;
  log?: boolean;
}

/** Input a chart kind cannot be drawn from; the message says what is missing. */
export class ChartInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChartInputError';
  }
}

/** A group from `describe()`: its box, and the mean with the Student t interval as the estimate. */
export function chartGroup(label: string, d: Description, extra: Pick<ChartGroup, 'keys' | 'series' | 'points' | 'estimate'> = {}): ChartGroup {
  return {
    label, n: d.n,
    box: {
      min: d.min, q1: d.box.q1, median: d.box.median, q3: d.box.q3, max: d.max,
      whiskerMin: d.box.whiskerLow, whiskerMax: d.box.whiskerHigh, mean: d.mean, outliers: d.box.outliers.map((o) => o.value),
    },
    estimate: { value: d.mean, low: d.ci?.low, high: d.ci?.high },
    ...extra,
  };
}

/** The legend's title naming the prefix its entries no longer show. */
function legendTitle(theme: ChartTheme, prefix: string) {
  return { display: !!prefix, text: `${prefix}…`, color: theme.muted, font: font(theme, 'tick') };
}

/**
 * The median with its seeded percentile-bootstrap interval (stats/bootstrap), for a bar chart of
 * medians (`statistic: 'median with 95% bootstrap CI'`); non-finite values are left out.
 */
export function medianEstimate(values: ArrayLike<number>, options: BootstrapOptions = {}): Estimate | undefined {
  const finite = Float64Array.from(values).filter(Number.isFinite);
  if (!finite.length) return undefined;
  const m = bootstrapMedian(finite, options);
  return { value: m.observed, low: m.low, high: m.high };
}

/** `a=1, b=x` → { a: '1', b: 'x' }. */
export function keysOfLabel(label: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of label.split(/,\s*/)) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function need<K extends keyof ChartGroup>(input: GroupChartInput, field: K, kind: GroupChartKind): Array<ChartGroup & Required<Pick<ChartGroup, K>>> {
  const missing = input.groups.filter((g) => g[field] === undefined).map((g) => g.label);
  if (missing.length) throw new ChartInputError(`a ${kind} chart needs ${String(field)} for every group; missing for ${missing.slice(0, 5).join('; ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  return input.groups as Array<ChartGroup & Required<Pick<ChartGroup, K>>>;
}

export function groupChartConfig(kind: GroupChartKind, input: GroupChartInput, theme: ChartTheme): ChartConfiguration {
  if (!input.groups.length) throw new ChartInputError('no groups to chart');
  const statistic = input.statistic ?? 'mean with 95% CI';
  const title = input.title ?? `${input.metric} by ${input.groupTitle || 'group'}`;
  const heads: Headings = { title, subtitle: input.subtitle };
  switch (kind) {
    case 'box': {
      const groups = need(input, 'box', kind);
      return boxPlotConfig({
        ...heads, groups: groups.map((g) => ({ ...g.box, label: g.label, n: g.n })), valueTitle: input.metric, unit: input.unit,
        groupTitle: input.groupTitle, log: input.log, horizontal: groups.length > 12,
      }, theme) as ChartConfiguration;
    }
    case 'bar': {
      const groups = need(input, 'estimate', kind);
      return errorBarsConfig({
        ...heads, subtitle: input.subtitle ?? statistic, categories: groups.map((g) => g.label), categoryTitle: input.groupTitle,
        valueTitle: input.metric, unit: input.unit, horizontal: groups.length > 12,
        series: [{ label: statistic, values: groups.map((g) => g.estimate.value), lower: groups.map((g) => g.estimate.low ?? null), upper: groups.map((g) => g.estimate.high ?? null) }],
      }, theme) as ChartConfiguration;
    }
    case 'line': {
      const groups = need(input, 'series', kind);
      const names = legendLabels(groups.map((g) => g.label));
      const runs = groups.flatMap((g, i) => g.series.map((points, k) => ({ label: g.series.length > 1 ? `${g.label} #${k + 1}` : g.label, points, group: names.lines[i][0] })));
      const subtitle = input.subtitle ?? (runs.length > groups.length ? `${runs.length} runs in ${groups.length} groups` : undefined);
      const cfg = metricLinesConfig({ ...heads, subtitle, runs, metric: input.metric, unit: input.unit, xTitle: input.xTitle, xUnit: input.xUnit, log: input.log }, theme);
      // one colour per group, so that the runs of a group read as one
      const colorOf = new Map(names.lines.map((l, i) => [l[0], seriesColor(theme, i)]));
      cfg.data.datasets.forEach((ds, i) => { ds.borderColor = colorOf.get(runs[i].group); ds.backgroundColor = ds.borderColor; ds.label = runs[i].group; });
      const legend = cfg.options!.plugins!.legend!;
      legend.display = groups.length <= 12;
      legend.labels = { ...legend.labels, filter: (item) => runs.findIndex((r) => r.group === item.text) === item.datasetIndex };
      legend.title = legendTitle(theme, names.prefix);
      return cfg as ChartConfiguration;
    }
    case 'scatter': {
      const groups = need(input, 'points', kind);
      const names = legendLabels(groups.map((g) => g.label));
      const cfg = scatterConfig({
        ...heads, xTitle: input.xTitle ?? 'x', xUnit: input.xUnit, yTitle: input.metric, yUnit: input.unit, logY: input.log,
        points: groups.flatMap((g, i) => g.points.map((p) => ({ ...p, series: groups.length > 1 ? names.lines[i][0] : undefined }))),
      }, theme);
      cfg.options!.plugins!.legend!.title = legendTitle(theme, names.prefix);
      return cfg as ChartConfiguration;
    }
    case 'heatmap': {
      const groups = need(input, 'estimate', kind);
      const keys = groups.map((g) => g.keys ?? keysOfLabel(g.label));
      const names = [...new Set(keys.flatMap((k) => Object.keys(k)))];
      const rowKey = input.rowKey ?? names[0];
      const colKey = input.colKey ?? names.find((k) => k !== rowKey);
      if (!rowKey || !colKey || rowKey === colKey) {
        throw new ChartInputError(`a heatmap needs two grouping keys (e.g. --group-by params.concurrency,params.input_size); the groups have ${names.length ? names.join(', ') : 'none'}`);
      }
      const lacking = groups.filter((_, i) => keys[i][rowKey] === undefined || keys[i][colKey] === undefined).map((g) => g.label);
      if (lacking.length) throw new ChartInputError(`a heatmap needs ${rowKey} and ${colKey} for every group; missing for ${lacking.slice(0, 5).join('; ')}`);
      return heatmapConfig({
        ...heads, subtitle: input.subtitle ?? `cell: ${statistic.replace(/ with .*/, '')} of ${input.metric}`,
        rowTitle: rowKey, colTitle: colKey, valueTitle: input.metric, unit: input.unit,
        cells: groups.map((g, i) => ({ row: keys[i][rowKey], col: keys[i][colKey], value: Number.isFinite(g.estimate.value) ? g.estimate.value : null, n: g.n })),
      }, theme) as ChartConfiguration;
    }
    default:
      throw new ChartInputError(`unknown chart type "${String(kind)}": use ${GROUP_CHART_KINDS.join(', ')}`);
  }
}
