// A statistic over two grouping keys (concurrency × input size): one cell per pair, coloured on a
// sequential scale and labelled with its value. chart.js has no matrix chart: the cells ride on a
// scatter dataset (for tooltips) and the heatmap plugin paints them (plugins.ts).

import type { ChartConfiguration, Scale, TooltipItem } from 'chart.js';
import { axisTitle, font, LAYOUT, plugins, type Headings } from './common';
import { categoryLabels, formatSI, titleWithPrefix, withUnit } from './format';
import { HEAT_BAR, type HeatCell } from './plugins';
import { mix, parseColor, relativeLuminance, type ChartTheme } from './theme';

export interface HeatmapCellInput {
  row: string | number;
  col: string | number;
  /** null: the pair has no value (no runs, or all failed). */
  value: number | null;
  n?: number;
}

export interface HeatmapInput extends Headings {
  cells: readonly HeatmapCellInput[];
  rowTitle: string;
  colTitle: string;
  valueTitle: string;
  unit?: string;
  /** Row and column order; default: numeric order when every value is a number, else first appearance. */
  rows?: ReadonlyArray<string | number>;
  cols?: ReadonlyArray<string | number>;
}

/** viridis: perceptually even, readable in grey and under the common colour-vision deficiencies. */
export const VIRIDIS = ['#440154', '#482878', '#3E4A89', '#31688E', '#26828E', '#1F9E89', '#35B779', '#6DCD59', '#B4DE2C', '#FDE725'];

/** The colour of t ∈ [0, 1] on a scale of evenly spaced stops. */
export function rampColor(stops: readonly string[], t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  return mix(stops[i], stops[i + 1], x - i);
}

/** A heat cell as plotted: HeatCell plus what the tooltip says. */
export interface HeatDatum extends HeatCell { row: string; col: string; value: number | null; n?: number }

export function heatmapConfig(input: HeatmapInput, theme: ChartTheme): ChartConfiguration<'scatter', HeatDatum[]> {
  const rows = order(input.rows, input.cells.map((c) => c.row));
  const cols = order(input.cols, input.cells.map((c) => c.col));
  const values = input.cells.map((c) => c.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 0;
  const empty = mix(theme.background, theme.foreground, 0.08);
  const data: HeatDatum[] = input.cells.map((c) => {
    const has = c.value !== null && Number.isFinite(c.value);
    const color = has ? rampColor(VIRIDIS, hi > lo ? (c.value! - lo) / (hi - lo) : 0.5) : empty;
    const lum = relativeLuminance(parseColor(color) ?? { r: 0, g: 0, b: 0, a: 1 });
    return {
      x: cols.indexOf(String(c.col)), y: rows.indexOf(String(c.row)), color,
      text: has ? formatSI(c.value!, 3) : '—', textColor: has ? (lum > 0.35 ? '#000000' : '#FFFFFF') : theme.muted,
      row: String(c.row), col: String(c.col), value: has ? c.value : null, ...(c.n === undefined ? {} : { n: c.n }),
    };
  });
  const base = plugins(theme, input, { display: false });
  const axis = (cats: string[], title: string, reverse: boolean) => {
    const laid = categoryLabels(cats, 16);
    return {
      type: 'linear' as const, min: -0.5, max: cats.length - 0.5, reverse,
      title: axisTitle(theme, titleWithPrefix(title, laid.prefix)),
      grid: { display: false }, border: { display: false },
      afterBuildTicks: (scale: Scale) => { scale.ticks = cats.map((_, i) => ({ value: i })); },
      ticks: {
        color: theme.muted, font: font(theme, 'tick'), autoSkip: false, maxRotation: 0,
        callback: (v: number | string) => { const l = laid.lines[Number(v)] ?? ['']; return l.length === 1 ? l[0] : l; },
      },
    };
  };
  return {
    type: 'scatter',
    data: { datasets: [{ label: input.valueTitle, data, pointRadius: 0, pointHoverRadius: 0, pointHitRadius: 24 }] },
    options: {
      maintainAspectRatio: false,
      layout: { padding: { ...LAYOUT.padding, right: HEAT_BAR.room } },
      plugins: {
        ...base,
        heatmap: {
          enabled: true,
          scale: values.length ? {
            stops: VIRIDIS, min: formatSI(lo, 3), max: formatSI(hi, 3), title: withUnit(input.valueTitle, input.unit),
            color: theme.foreground, font: { family: theme.font.family, size: theme.font.size },
          } : undefined,
        },
        tooltip: {
          ...base.tooltip,
          callbacks: {
            title: () => '',
            label: (item: TooltipItem<'scatter'>) => {
              const d = item.raw as HeatDatum;
              const v = d.value === null ? 'no value' : `${formatSI(d.value)}${input.unit ? ` ${input.unit}` : ''}`;
              return `${input.rowTitle} ${d.row}, ${input.colTitle} ${d.col}: ${v}${d.n === undefined ? '' : ` (n=${d.n})`}`;
            },
          },
        },
      },
      scales: { x: axis(cols, input.colTitle, false), y: axis(rows, input.rowTitle, true) },
    },
  };
}

/** The given order, then values not in it: numerically when all are numbers, else as they come. */
function order(given: ReadonlyArray<string | number> | undefined, seen: ReadonlyArray<string | number>): string[] {
  const out = (given ?? []).map(String);
  const rest = [...new Set(seen.map(String))].filter((v) => !out.includes(v));
  if (rest.every((v) => v.trim() !== '' && Number.isFinite(Number(v)))) rest.sort((a, b) => Number(a) - Number(b));
  return [...out, ...rest];
}
