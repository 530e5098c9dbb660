// Parallel coordinates without a plugin: a line chart with one vertical axis per parameter and one
// for the metric, each scaled to 0–1, one line per trial coloured from worst to best. Each axis's
// range is written under its name, and tooltips show the real values.
import type { ChartConfiguration, ChartDataset, Scale, TooltipItem } from 'chart.js';
import { abbreviate, formatSI, mix, withAlpha, type ChartTheme } from '../../../core/src/charts';
import { wrapLabel } from '../../../core/src/charts/format';
import { font, LAYOUT, plugins } from '../../../core/src/charts/common';
import type { Goal } from '../../../core/src/config/types';
import type { RunRow } from '../contract';
import { paramLabel } from '../lib/format';
import { metricValue, paramValue } from './model';

export interface ParallelInput {
  runs: readonly RunRow[];
  params: readonly string[];
  metric: { name: string; goal: Goal };
  bestId?: string;
}

export interface Axis {
  label: string;
  /** Position on the axis, 0–1; undefined for a missing value. */
  scale(v: number | string | undefined): number | undefined;
  /** What the axis spans, e.g. `0.0001–0.001` or `avro · parquet`. */
  range: string;
}

/** Positive values spanning this factor or more get a log axis (learning rates, batch sizes). */
const LOG_SPAN = 10;

/** A numeric axis when every value is a number, else one step per distinct value in natural order. */
export function axisOf(label: string, values: ReadonlyArray<number | string | undefined>): Axis {
  const present = values.filter((v): v is number | string => v !== undefined);
  if (present.every((v) => typeof v === 'number')) {
    const nums = present as number[];
    const min = nums.reduce((m, x) => Math.min(m, x), Infinity); // no spread: a sweep may have 100k+ runs
    const max = nums.reduce((m, x) => Math.max(m, x), -Infinity);
    const log = min > 0 && max / min >= LOG_SPAN;
    const f = log ? Math.log : (x: number) => x;
    return {
      label,
      scale: (v) => (typeof v !== 'number' ? undefined : max > min ? (f(v) - f(min)) / (f(max) - f(min)) : 0.5),
      range: nums.length ? (max > min ? `${formatSI(min)}–${formatSI(max)}${log ? ' (log)' : ''}` : formatSI(min)) : '',
    };
  }
  const cats = [...new Set(present.map(String))].sort(new Intl.Collator(undefined, { numeric: true }).compare);
  const at = new Map(cats.map((c, i) => [c, i]));
  return {
    label,
    scale: (v) => { const i = v === undefined ? undefined : at.get(String(v)); return i === undefined ? undefined : cats.length > 1 ? i / (cats.length - 1) : 0.5; },
    range: cats.join(' · '),
  };
}

/** A point of a trial's polyline; y null ends the line (between trials). */
export interface ParallelPoint { x: number; y: number | null }

export function parallelConfig(input: ParallelInput, theme: ChartTheme): ChartConfiguration<'line', ParallelPoint[]> {
  const { metric } = input;
  const raw = (r: RunRow, axis: number) => (axis < input.params.length ? paramValue(r.params[input.params[axis]]) : metricValue(r, metric.name));
  const scored = input.runs.filter((r) => metricValue(r, metric.name) !== undefined);
  const axes = [...input.params.map(paramLabel), metric.name].map((label, a) => axisOf(label, scored.map((r) => raw(r, a))));
  const k = axes.length;
  const metricAxis = axes[k - 1];
  const goodness = (r: RunRow) => { const t = metricAxis.scale(metricValue(r, metric.name)) ?? 0.5; return metric.goal === 'minimize' ? 1 - t : t; };
  // Worse trials first, so that better ones are drawn over them.
  const runs = scored.filter((r) => r.id !== input.bestId).map((r) => ({ r, g: goodness(r) })).sort((a, b) => a.g - b.g);
  const best = scored.find((r) => r.id === input.bestId);
  const line = (r: RunRow): ParallelPoint[] => axes.map((ax, a) => ({ x: a, y: ax.scale(raw(r, a)) ?? null }));
  // All trials are one dataset, their lines separated by a gap point: a thousand datasets would cost
  // chart.js a second per draw; one costs milliseconds. Each line's colour comes from its segments.
  const data: ParallelPoint[] = [];
  for (const { r } of runs) data.push(...line(r), { x: k - 1, y: null });
  // Better trials in the first palette colour (blue), worse ones in the second (orange); many lines fainter.
  const faint = runs.length > 200 ? 0.25 : 0.45;
  const colors = runs.map(({ g }) => withAlpha(mix(theme.palette[1], theme.palette[0], g), faint + 0.45 * g));
  const runAt = (i: number) => Math.floor(i / (k + 1));
  const datasets: ChartDataset<'line', ParallelPoint[]>[] = [{
    label: 'trials', data, borderWidth: runs.length > 200 ? 1 : 1.5, pointRadius: 0, pointHoverRadius: 3, spanGaps: false, order: 1,
    borderColor: theme.palette[0], backgroundColor: theme.palette[0],
    segment: { borderColor: (ctx) => colors[runAt(ctx.p0DataIndex)] },
  }];
  if (best) datasets.push({ label: 'best trial', data: line(best), borderColor: theme.foreground, backgroundColor: theme.foreground, borderWidth: 3, pointRadius: 3, order: 0 });
  const runOf = (item: TooltipItem<'line'>) => (item.datasetIndex === 1 ? best! : runs[runAt(item.dataIndex)].r);
  const axisOfPoint = (item: TooltipItem<'line'>) => (item.datasetIndex === 1 ? item.dataIndex : item.dataIndex % (k + 1));
  const base = plugins(theme, {
    title: `Parallel coordinates: ${scored.length} trials`,
    subtitle: `colour: ${metric.name} (${metric.goal}), blue better${best ? '; thick line: best trial' : ''}`,
  }, { display: false });
  return {
    type: 'line',
    data: { datasets },
    options: {
      maintainAspectRatio: false,
      animation: false,
      parsing: false,
      layout: LAYOUT,
      interaction: { mode: 'nearest', axis: 'xy', intersect: false },
      plugins: {
        ...base,
        tooltip: {
          ...base.tooltip,
          callbacks: {
            label: (item: TooltipItem<'line'>) => {
              const r = runOf(item);
              const a = axisOfPoint(item);
              const v = raw(r, a);
              return `${r.trial.name}: ${axes[a].label} = ${typeof v === 'number' ? formatSI(v) : v ?? '—'}`;
            },
          },
        },
      },
      scales: {
        // One tick per axis, labelled with its name and range; its grid line is the axis.
        x: {
          type: 'linear', min: 0, max: k - 1, offset: false,
          grid: { display: true, color: theme.axis },
          border: { color: theme.axis },
          afterBuildTicks: (scale: Scale) => { scale.ticks = axes.map((_, i) => ({ value: i })); },
          ticks: {
            color: theme.muted, font: font(theme, 'tick'), autoSkip: false, maxRotation: 0,
            callback: (v: number | string) => { const ax = axes[Number(v)]; return ax ? [...wrapLabel(ax.label, 28, 2), abbreviate(ax.range, 28)] : ''; },
          },
        },
        y: { type: 'linear', min: 0, max: 1, display: false },
      },
    },
  };
}
