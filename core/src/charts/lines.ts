// A metric over steps for many runs. Sized for 100 runs × 10,000 points: chart.js's decimation
// plugin (LTTB) thins each run to about one point per pixel column, which it only does for `{x, y}`
// data on a linear x axis with parsing off (and the data sorted by x, which we guarantee here).

import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { LAYOUT, plugins, valueAxis, type Headings } from './common';
import { seriesColor, type ChartTheme } from './theme';

export interface Point { x: number; y: number }

export interface MetricRun {
  label: string;
  points: ReadonlyArray<Point>;
}

export interface MetricLinesInput extends Headings {
  runs: readonly MetricRun[];
  metric: string;
  unit?: string;
  /** `Step` unless given (e.g. `Epoch`, `Time`). */
  xTitle?: string;
  xUnit?: string;
  log?: boolean;
  /** Points kept per run after decimation; default: one per pixel of the chart's width. */
  samples?: number;
}

/** Legends past this many runs cover the plot; the subtitle gives the count instead. */
export const MAX_LEGEND_RUNS = 12;

export function metricLinesConfig(input: MetricLinesInput, theme: ChartTheme): ChartConfiguration<'line', Point[]> {
  const datasets: Array<ChartDataset<'line', Point[]>> = input.runs.map((run, i) => {
    const color = seriesColor(theme, i);
    const data = cleanPoints(run.points);
    return {
      label: run.label,
      data,
      borderColor: color,
      backgroundColor: color,
      borderWidth: input.runs.length > 20 ? 1 : 1.5,
      // A lone point has no line to show it: draw it as a dot (a metric reported once, a run just started).
      pointRadius: data.length === 1 ? 4 : 0,
      pointHoverRadius: 3,
      indexAxis: 'x',
      // no gaps remain after cleanPoints; spanGaps lets chart.js skip looking for them
      spanGaps: true,
    };
  });
  const legend = input.runs.length <= MAX_LEGEND_RUNS;
  return {
    type: 'line',
    data: { datasets },
    options: {
      maintainAspectRatio: false,
      // required by decimation; the data is already {x, y} numbers
      parsing: false,
      normalized: true,
      // animating a million points makes panels stutter
      animation: false,
      layout: LAYOUT,
      interaction: { mode: 'nearest', axis: 'xy', intersect: false },
      plugins: {
        ...plugins(theme, { title: input.title, subtitle: input.subtitle ?? (legend ? undefined : `${input.runs.length} runs`) }, { display: legend }),
        decimation: { enabled: true, algorithm: 'lttb', ...(input.samples ? { samples: input.samples } : {}) },
      },
      scales: {
        x: valueAxis(theme, { title: input.xTitle ?? 'Step', unit: input.xUnit }),
        y: valueAxis(theme, { title: input.metric, unit: input.unit, log: input.log }),
      },
    },
  };
}

/** Finite points sorted by x, in a new array: chart.js hooks into the data arrays it is given. */
function cleanPoints(points: ReadonlyArray<Point>): Point[] {
  const out: Point[] = [];
  let sorted = true;
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    if (out.length && p.x < out[out.length - 1].x) sorted = false;
    out.push({ x: p.x, y: p.y });
  }
  if (!sorted) out.sort((a, b) => a.x - b.x);
  return out;
}
