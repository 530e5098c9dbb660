// Bar charts: values with error bars (e.g. mean ± CI per configuration), and status counts stacked
// per resource or group.

import type { ChartConfiguration, ChartDataset, TooltipItem } from 'chart.js';
import { categoryAxis, LAYOUT, paddedExtent, plugins, valueAxis, type Headings } from './common';
import { mix, seriesColor, statusColor, statusKey, withAlpha, type ChartTheme, type StatusKey } from './theme';
import type { ErrorBar } from './plugins';

export interface ErrorBarSeries {
  label: string;
  /** One value per category; null: no bar. */
  values: ReadonlyArray<number | null>;
  /** Absolute lower/upper bounds per category (not distances from the value); null: no error bar. */
  lower?: ReadonlyArray<number | null>;
  upper?: ReadonlyArray<number | null>;
}

export interface ErrorBarsInput extends Headings {
  categories: readonly string[];
  series: readonly ErrorBarSeries[];
  valueTitle: string;
  unit?: string;
  categoryTitle?: string;
  horizontal?: boolean;
  /** Fixed value-axis ends for a bounded quantity (a share: 0 and 100); error bars are clamped into them. */
  min?: number;
  max?: number;
}

export function errorBarsConfig(input: ErrorBarsInput, theme: ChartTheme): ChartConfiguration<'bar', Array<number | null>, string> {
  const axis = input.horizontal ? 'y' : 'x';
  const valueAxisId = input.horizontal ? 'x' : 'y';
  // the axis must reach the interval ends: chart.js scales only see the bar values
  const extent = input.series.flatMap((s) => [...s.values, ...(s.lower ?? []), ...(s.upper ?? [])]).filter((v): v is number => v !== null);
  // an interval of a bounded quantity (e.g. a Wald interval of a share near 100 %) cannot leave its range
  const clamp = (v: number | null | undefined) => (v == null ? v : Math.min(input.max ?? Infinity, Math.max(input.min ?? -Infinity, v)));
  const datasets: Array<ChartDataset<'bar', Array<number | null>>> = input.series.map((s, i) => {
    const color = seriesColor(theme, i);
    return {
      label: s.label,
      data: input.categories.map((_, c) => s.values[c] ?? null),
      errorBars: input.categories.map((_, c) => errorBar(clamp(s.lower?.[c]), clamp(s.upper?.[c]))),
      backgroundColor: withAlpha(color, 0.75),
      borderColor: color,
      borderWidth: 1,
      maxBarThickness: 80,
    };
  });
  return {
    type: 'bar',
    data: { labels: [...input.categories], datasets },
    options: {
      indexAxis: axis,
      maintainAspectRatio: false,
      layout: LAYOUT,
      plugins: {
        ...plugins(theme, input, { display: input.series.length > 1 }),
        errorBars: { color: theme.foreground, lineWidth: 1.5, capWidth: 12 },
      },
      scales: {
        // every group named while the labels can fit at all
        [axis]: categoryAxis(theme, { title: input.categoryTitle, labels: input.categories, autoSkip: input.categories.length > 40 }),
        [valueAxisId]: valueAxis(theme, {
          title: input.valueTitle, unit: input.unit, beginAtZero: true, ...paddedExtent(extent), min: input.min, max: input.max,
        }),
      },
    },
  };
}

function errorBar(lower: number | null | undefined, upper: number | null | undefined): ErrorBar | null {
  return lower != null && upper != null && Number.isFinite(lower) && Number.isFinite(upper) ? { lower, upper } : null;
}

export interface StatusRow {
  /** A resource (node, GPU type) or a group (experiment, configuration). */
  label: string;
  /** Count per status name: our statuses or a job table's (`COMPLETED`, `OUT_OF_MEMORY`). */
  counts: Readonly<Record<string, number>>;
}

export interface StatusBarsInput extends Headings {
  rows: readonly StatusRow[];
  categoryTitle?: string;
  /** Bars along the y axis: better for many resources with long names. */
  horizontal?: boolean;
  /** Stack shares of each row (0–100 %) instead of counts. */
  percent?: boolean;
  countTitle?: string;
}

// success at the base of each stack, then failures by severity, then what is not finished yet
const STATUS_ORDER: readonly StatusKey[] = ['succeeded', 'failed', 'oom', 'timeout', 'cancelled', 'interrupted', 'running', 'queued'];

function statusRank(name: string): number {
  const key = statusKey(name);
  return key ? STATUS_ORDER.indexOf(key) : STATUS_ORDER.length;
}

export function statusBarsConfig(input: StatusBarsInput, theme: ChartTheme): ChartConfiguration<'bar', number[], string> {
  const names = [...new Set(input.rows.flatMap((r) => Object.keys(r.counts)))]
    .sort((a, b) => statusRank(a) - statusRank(b) || a.localeCompare(b));
  const count = (row: StatusRow, name: string) => (Number.isFinite(row.counts[name]) ? row.counts[name] : 0);
  const totals = input.rows.map((r) => names.reduce((sum, name) => sum + count(r, name), 0));
  let unknown = 0;
  const used = new Map<string, number>();
  const datasets: Array<ChartDataset<'bar', number[]>> = names.map((name) => {
    // names we do not know take palette colours from the end, away from the status hues
    let color = statusColor(theme, name) ?? seriesColor(theme, theme.palette.length - 1 - unknown++);
    // two spellings of one status (FAILED, NODE_FAIL) must still be told apart: shade the later ones
    const seen = used.get(color) ?? 0;
    used.set(color, seen + 1);
    if (seen > 0) color = mix(color, theme.foreground, Math.min(0.6, 0.3 * seen));
    return {
      label: name,
      data: input.rows.map((r, i) => {
        const v = count(r, name);
        return input.percent ? (totals[i] > 0 ? (100 * v) / totals[i] : 0) : v;
      }),
      backgroundColor: color,
      borderColor: theme.background,
      borderWidth: 1,
      maxBarThickness: 80,
    };
  });
  const axis = input.horizontal ? 'y' : 'x';
  const valueAxisId = input.horizontal ? 'x' : 'y';
  const base = plugins(theme, input, { display: true });
  return {
    type: 'bar',
    data: { labels: input.rows.map((r) => r.label), datasets },
    options: {
      indexAxis: axis,
      maintainAspectRatio: false,
      layout: LAYOUT,
      plugins: {
        ...base,
        tooltip: {
          ...base.tooltip,
          callbacks: {
            label: (item: TooltipItem<'bar'>) => {
              const name = names[item.datasetIndex];
              const n = count(input.rows[item.dataIndex], name);
              const total = totals[item.dataIndex];
              return `${name}: ${n} of ${total}${total > 0 ? ` (${((100 * n) / total).toFixed(1)}%)` : ''}`;
            },
          },
        },
      },
      scales: {
        [axis]: categoryAxis(theme, { title: input.categoryTitle, labels: input.rows.map((r) => r.label), stacked: true }),
        [valueAxisId]: valueAxis(theme, {
          title: input.countTitle ?? (input.percent ? 'Share' : 'Runs'), unit: input.percent ? '%' : undefined, beginAtZero: true, stacked: true,
          ...(input.percent ? { min: 0, max: 100 } : {}),
        }),
      },
    },
  };
}
