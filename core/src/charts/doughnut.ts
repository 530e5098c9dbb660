// The GPU mix: how many GPUs (or GPU-hours) of each type. Each legend entry carries its count and
// share, so the chart reads without hovering (and in a PNG, where nothing hovers).

import type { ChartConfiguration, TooltipItem } from 'chart.js';
import { formatSI } from './format';
import { font, plugins, type Headings } from './common';
import { seriesColor, type ChartTheme } from './theme';

export interface Slice { label: string; value: number }

export interface DoughnutInput extends Headings {
  slices: readonly Slice[];
  /** What the values count, e.g. `GPUs` or `GPU-hours`; names the total in the subtitle. */
  unit?: string;
}

export function gpuMixConfig(input: DoughnutInput, theme: ChartTheme): ChartConfiguration<'doughnut', number[], string> {
  const slices = input.slices.filter((s) => Number.isFinite(s.value) && s.value > 0);
  const total = slices.reduce((sum, s) => sum + s.value, 0);
  const share = (v: number) => (total > 0 ? `${((100 * v) / total).toFixed(v === total ? 0 : 1)}%` : '');
  const entry = (s: Slice) => `${s.label}  ${formatSI(s.value)} (${share(s.value)})`;
  const subtitle = input.subtitle ?? `${formatSI(total)}${input.unit ? ` ${input.unit}` : ''} in total`;
  const base = plugins(theme, { title: input.title, subtitle }, { display: true, position: 'right' });
  // the legend carries the numbers here: give it the axis-title size other charts use
  base.legend.labels.font = { ...font(theme, 'label'), weight: 'normal' };
  return {
    type: 'doughnut',
    data: {
      labels: slices.map(entry),
      datasets: [{
        label: input.unit ?? input.title ?? '',
        data: slices.map((s) => s.value),
        backgroundColor: slices.map((_, i) => seriesColor(theme, i)),
        borderColor: theme.background,
        borderWidth: 2,
      }],
    },
    options: {
      maintainAspectRatio: false,
      cutout: '55%',
      layout: { padding: { top: 4, right: 24, bottom: 16, left: 24 } },
      plugins: {
        ...base,
        tooltip: { ...base.tooltip, callbacks: { label: (item: TooltipItem<'doughnut'>) => entry(slices[item.dataIndex]) } },
      },
    },
  };
}
