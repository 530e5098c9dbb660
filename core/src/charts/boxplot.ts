// Box plots from precomputed statistics. The stats module computes quantiles the way numpy does;
// the boxplot plugin takes an item with numeric q1/median/q3 and a defined whiskerMin as finished
// statistics (asBoxPlotStats) and draws whiskers and outliers exactly as given.

import type { ChartConfiguration } from 'chart.js';
import type { BoxPlotDataPoint } from '@sgratzl/chartjs-chart-boxplot';
import { categoryAxis, LAYOUT, paddedExtent, plugins, valueAxis, type Headings } from './common';
import { seriesColor, withAlpha, type ChartTheme } from './theme';

/**
 * One box. From the stats module's `describe()`: q1/median/q3 from `box`, whiskerMin/whiskerMax =
 * `box.whiskerLow`/`box.whiskerHigh`, outliers = `box.outliers` values, min/max/mean/n as they are.
 */
export interface BoxGroup {
  label: string;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  whiskerMin: number;
  whiskerMax: number;
  mean?: number;
  outliers: number[];
  /** Sample size, shown under the group's label. */
  n?: number;
}

export interface BoxPlotInput extends Headings {
  groups: readonly BoxGroup[];
  valueTitle: string;
  unit?: string;
  groupTitle?: string;
  /** Groups on the y axis: better for many groups with long names. */
  horizontal?: boolean;
  log?: boolean;
}

/** The plugin's data item: the statistics and nothing else (a label or n would be read as data). */
export type BoxItem = Omit<BoxGroup, 'label' | 'n'>;

export function boxItem(g: BoxGroup): BoxItem {
  const item: BoxItem = {
    min: g.min, q1: g.q1, median: g.median, q3: g.q3, max: g.max,
    whiskerMin: g.whiskerMin, whiskerMax: g.whiskerMax, outliers: [...g.outliers],
  };
  if (g.mean !== undefined) item.mean = g.mean;
  return item;
}

export function boxPlotConfig(input: BoxPlotInput, theme: ChartTheme): ChartConfiguration<'boxplot', BoxPlotDataPoint[], string> {
  const { groups } = input;
  // one hue per group while the palette lasts; past that, repeated hues would pair unrelated groups
  const colors = groups.map((_, i) => (groups.length <= theme.palette.length ? seriesColor(theme, i) : theme.palette[0]));
  const values = groups.flatMap((g) => [g.min, g.max, g.whiskerMin, g.whiskerMax, ...g.outliers]);
  const axis = input.horizontal ? 'y' : 'x';
  const valueAxisId = input.horizontal ? 'x' : 'y';
  const notes = groups.some((g) => g.n !== undefined) ? groups.map((g) => (g.n === undefined ? undefined : `n=${g.n}`)) : undefined;
  return {
    type: 'boxplot',
    data: {
      labels: groups.map((g) => g.label),
      datasets: [{
        label: input.valueTitle,
        data: groups.map(boxItem),
        backgroundColor: colors.map((c) => withAlpha(c, 0.3)),
        borderColor: colors,
        borderWidth: 1.5,
        medianColor: theme.foreground,
        outlierStyle: 'circle',
        outlierRadius: 3,
        outlierBackgroundColor: colors.map((c) => withAlpha(c, 0.6)),
        outlierBorderColor: colors,
        meanStyle: 'rectRot',
        meanRadius: 4,
        meanBackgroundColor: theme.background,
        meanBorderColor: theme.foreground,
        meanBorderWidth: 1.5,
        itemRadius: 0,
        maxBarThickness: 90,
      }],
    },
    options: {
      indexAxis: axis,
      maintainAspectRatio: false,
      layout: LAYOUT,
      plugins: plugins(theme, input, { display: false }),
      scales: {
        [axis]: categoryAxis(theme, { title: input.groupTitle, labels: groups.map((g) => g.label), notes, autoSkip: false }),
        [valueAxisId]: valueAxis(theme, {
          title: input.valueTitle, unit: input.unit, log: input.log, ...paddedExtent(values, input.log),
        }),
      },
    },
  };
}
