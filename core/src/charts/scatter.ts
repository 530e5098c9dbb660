// A parameter against a metric, one point per run. Numeric parameters get a linear (or log) x axis;
// categorical ones (strings: `avro`, `parquet`) get one column per value, with the points jittered
// sideways so that runs with equal metrics stay visible.

import type { ChartConfiguration, ChartDataset, Scale, TooltipItem } from 'chart.js';
import { categoryLabels, formatSI, titleWithPrefix, withUnit } from './format';
import { axisTitle, font, LAYOUT, paddedExtent, plugins, valueAxis, type Headings } from './common';
import { seriesColor, withAlpha, type ChartTheme } from './theme';

export interface ScatterPoint {
  x: number | string;
  y: number;
  /** Colour group (e.g. another parameter's value); one legend entry each. */
  series?: string;
  /** Shown in the tooltip, e.g. the run id. */
  label?: string;
}

export interface ScatterInput extends Headings {
  points: readonly ScatterPoint[];
  xTitle: string;
  xUnit?: string;
  yTitle: string;
  yUnit?: string;
  /** Numeric x only. */
  logX?: boolean;
  logY?: boolean;
  /** Column order for categorical x; default: first appearance. */
  categories?: readonly string[];
}

/** A plotted point: x is the category's index (plus jitter) on a categorical axis. */
export interface ScatterDatum { x: number; y: number; label?: string; category?: string }

const JITTER = 0.3;

export function scatterConfig(input: ScatterInput, theme: ChartTheme): ChartConfiguration<'scatter', ScatterDatum[]> {
  const categorical = input.points.some((p) => typeof p.x === 'string');
  const categories = categorical ? categoryOrder(input) : [];
  const index = new Map(categories.map((c, i) => [c, i]));
  const seriesNames = [...new Set(input.points.map((p) => p.series ?? ''))];
  const counters = new Map<string, number>();
  const datasets: Array<ChartDataset<'scatter', ScatterDatum[]>> = seriesNames.map((name, si) => {
    const color = seriesColor(theme, si);
    const data: ScatterDatum[] = [];
    for (const p of input.points) {
      if ((p.series ?? '') !== name || !Number.isFinite(p.y)) continue;
      let d: ScatterDatum;
      if (categorical) {
        const category = String(p.x);
        const k = counters.get(category) ?? 0;
        counters.set(category, k + 1);
        d = { x: index.get(category)! + jitter(k), y: p.y, category };
      } else {
        if (typeof p.x !== 'number' || !Number.isFinite(p.x)) continue;
        d = { x: p.x, y: p.y };
      }
      if (p.label !== undefined) d.label = p.label;
      data.push(d);
    }
    return {
      label: name || input.yTitle,
      data,
      backgroundColor: withAlpha(color, 0.75),
      borderColor: color,
      borderWidth: 1,
      pointRadius: 4,
      pointHoverRadius: 6,
    };
  });
  const laid = categoryLabels(categories);
  const xAxis = categorical
    ? {
      type: 'linear' as const,
      min: -0.5,
      max: categories.length - 0.5,
      title: axisTitle(theme, titleWithPrefix(withUnit(input.xTitle, input.xUnit), laid.prefix)),
      grid: { display: false },
      border: { color: theme.axis },
      afterBuildTicks: (scale: Scale) => { scale.ticks = categories.map((_, i) => ({ value: i })); },
      ticks: {
        color: theme.muted, font: font(theme, 'tick'), autoSkip: false, maxRotation: 60,
        callback: (v: number | string) => { const lines = laid.lines[Number(v)] ?? ['']; return lines.length === 1 ? lines[0] : lines; },
      },
    }
    : valueAxis(theme, { title: input.xTitle, unit: input.xUnit, log: input.logX, ...paddedExtent(datasets.flatMap((d) => d.data.map((p) => p.x)), input.logX) });
  const base = plugins(theme, input, { display: seriesNames.length > 1 });
  return {
    type: 'scatter',
    data: { datasets },
    options: {
      maintainAspectRatio: false,
      layout: LAYOUT,
      plugins: {
        ...base,
        tooltip: {
          ...base.tooltip,
          callbacks: {
            label: (item: TooltipItem<'scatter'>) => {
              const d = item.raw as ScatterDatum;
              const x = d.category ?? formatSI(d.x);
              return `${d.label ? `${d.label}: ` : ''}${input.xTitle} ${x}, ${input.yTitle} ${formatSI(d.y)}`;
            },
          },
        },
      },
      scales: {
        x: xAxis,
        y: valueAxis(theme, { title: input.yTitle, unit: input.yUnit, log: input.logY, ...paddedExtent(datasets.flatMap((d) => d.data.map((p) => p.y)), input.logY) }),
      },
    },
  };
}

function categoryOrder(input: ScatterInput): string[] {
  const seen = new Set(input.categories ?? []);
  const order = [...seen];
  for (const p of input.points) {
    const c = String(p.x);
    if (!seen.has(c)) { seen.add(c); order.push(c); }
  }
  return order;
}

/**
 * The k-th point of a column: 0, then alternating sides at low-discrepancy offsets (golden ratio),
 * so that the spread is deterministic, even, and the same in every render.
 */
function jitter(k: number): number {
  if (k === 0) return 0;
  const frac = (k * 0.6180339887498949) % 1;
  return (k % 2 === 0 ? 1 : -1) * frac * JITTER;
}
