// Option pieces every chart kind shares. Fonts and colours are spelled out on each element because
// chart.js falls back to its global `Chart.defaults`, not to the chart's own options: a config must
// carry its whole look to render the same in a webview and in headless export.

import type { FontSpec, Scale, ScaleOptions } from 'chart.js';
import { categoryLabels, formatSI, titleWithPrefix, withUnit, wrapLabel } from './format';
import type { ChartTheme } from './theme';

export type FontRole = 'tick' | 'label' | 'title';

export function font(theme: ChartTheme, role: FontRole): Partial<FontSpec> {
  const size = role === 'title' ? theme.font.titleSize : role === 'label' ? theme.font.labelSize : theme.font.size;
  return { family: theme.font.family, size, weight: role === 'tick' ? 'normal' : 'bold', lineHeight: 1.25 };
}

export interface Headings {
  title?: string;
  subtitle?: string;
}

export interface LegendSpec {
  display: boolean;
  position?: 'top' | 'bottom' | 'left' | 'right';
}

/** Title, subtitle, legend, tooltip, background; chart.js's automatic colours stay off (ours are explicit). */
export function plugins(theme: ChartTheme, headings: Headings, legend: LegendSpec) {
  return {
    title: { display: !!headings.title, text: headings.title ?? '', color: theme.foreground, font: font(theme, 'title'), padding: { top: 4, bottom: headings.subtitle ? 2 : 10 } },
    subtitle: { display: !!headings.subtitle, text: headings.subtitle ?? '', color: theme.muted, font: { ...font(theme, 'tick'), weight: 'normal' as const }, padding: { bottom: 10 } },
    legend: {
      display: legend.display,
      position: legend.position ?? 'top',
      labels: { color: theme.foreground, font: font(theme, 'tick'), boxWidth: 14, boxHeight: 14, padding: 12 },
    },
    tooltip: {
      backgroundColor: theme.mode === 'dark' ? 'rgba(37, 37, 38, 0.95)' : 'rgba(255, 255, 255, 0.95)',
      titleColor: theme.foreground,
      bodyColor: theme.foreground,
      borderColor: theme.axis,
      borderWidth: 1,
      titleFont: font(theme, 'tick'),
      bodyFont: { ...font(theme, 'tick'), weight: 'normal' as const },
    },
    background: { color: theme.background },
    colors: { enabled: false },
  };
}

/** Room around the plot so that the last tick label and outer markers are never cut at the canvas edge. */
export const LAYOUT = { padding: { top: 8, right: 20, bottom: 8, left: 8 } };

export interface ValueAxisSpec {
  title: string;
  unit?: string;
  log?: boolean;
  beginAtZero?: boolean;
  /** Extent the axis must show beyond the dataset's own values (error bars, outliers); see paddedExtent. */
  suggestedMin?: number;
  suggestedMax?: number;
  /** Fixed ends for a bounded quantity (a share: 0 and 100): chart.js would round past them to a nice number. */
  min?: number;
  max?: number;
  position?: 'left' | 'right' | 'top' | 'bottom';
  stacked?: boolean;
  /** Draw grid lines (off for a secondary axis, whose lines would not match the primary's). */
  grid?: boolean;
}

/** A number axis with SI-suffixed ticks; log axes label only 1-2-5 steps so that ticks stay legible. */
export function valueAxis(theme: ChartTheme, spec: ValueAxisSpec): ScaleOptions<'linear'> | ScaleOptions<'logarithmic'> {
  const common = {
    position: spec.position,
    stacked: spec.stacked,
    // a fixed end overrides the suggestion; dropping it keeps the config saying what is drawn
    ...(spec.min === undefined ? { suggestedMin: spec.suggestedMin } : { min: spec.min }),
    ...(spec.max === undefined ? { suggestedMax: spec.suggestedMax } : { max: spec.max }),
    title: axisTitle(theme, withUnit(spec.title, spec.unit)),
    grid: { display: spec.grid ?? true, color: theme.grid },
    border: { color: theme.axis },
  };
  if (spec.log) {
    return {
      ...common,
      type: 'logarithmic',
      ticks: {
        color: theme.muted, font: font(theme, 'tick'),
        callback: (v) => {
          const n = Number(v);
          const mantissa = n / 10 ** Math.floor(Math.log10(n) + 1e-9);
          return [1, 2, 5].some((k) => Math.abs(mantissa - k) < 1e-6) ? formatSI(n) : null;
        },
      },
    };
  }
  return {
    ...common,
    type: 'linear',
    beginAtZero: spec.beginAtZero,
    ticks: { color: theme.muted, font: font(theme, 'tick'), callback: (v) => formatSI(Number(v)) },
  };
}

export interface CategoryAxisSpec {
  title?: string;
  /**
   * The categories, to lay out together: a prefix they all share is named once in the title, and
   * each is wrapped at word boundaries (categoryLabels). Without them each label is only wrapped.
   */
  labels?: readonly string[];
  /** Characters per tick line; longer labels wrap (tooltips keep them whole). */
  maxChars?: number;
  /** Extra tick lines under a label (e.g. `n=30`), by category index. */
  notes?: ReadonlyArray<string | undefined>;
  stacked?: boolean;
  /** Category axes skip labels only when even rotated they cannot fit; box plots want every one. */
  autoSkip?: boolean;
}

export function categoryAxis(theme: ChartTheme, spec: CategoryAxisSpec): ScaleOptions<'category'> {
  const maxChars = spec.maxChars ?? 24;
  const laid = spec.labels ? categoryLabels(spec.labels, maxChars) : undefined;
  return {
    type: 'category',
    stacked: spec.stacked,
    title: axisTitle(theme, titleWithPrefix(spec.title, laid?.prefix ?? '')),
    grid: { display: false },
    border: { color: theme.axis },
    ticks: {
      color: theme.muted,
      font: font(theme, 'tick'),
      autoSkip: spec.autoSkip ?? true,
      autoSkipPadding: 6,
      maxRotation: 60,
      callback(this: Scale, value) {
        const i = Number(value);
        const lines = laid?.lines[i] ?? wrapLabel(String(this.getLabelForValue(i)), maxChars);
        const note = spec.notes?.[i];
        const all = note ? [...lines, note] : lines;
        return all.length === 1 ? all[0] : all;
      },
    },
  };
}

/**
 * Axis bounds 4 % beyond the values (multiplicatively on log axes), so that markers at the extremes
 * are drawn whole instead of cut by the plot edge; never across zero when the values do not cross it.
 */
export function paddedExtent(values: Iterable<number>, log = false): { suggestedMin?: number; suggestedMax?: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return {};
  if (log) {
    const f = max > min ? (max / min) ** 0.04 : 1.1;
    return { suggestedMin: min / f, suggestedMax: max * f };
  }
  const pad = 0.04 * (max - min || Math.abs(max) || 1);
  return {
    suggestedMin: min >= 0 ? Math.max(0, min - pad) : min - pad,
    suggestedMax: max <= 0 ? Math.min(0, max + pad) : max + pad,
  };
}

export function axisTitle(theme: ChartTheme, text: string | undefined) {
  return { display: !!text, text: text ?? '', color: theme.foreground, font: font(theme, 'label'), padding: 6 };
}
