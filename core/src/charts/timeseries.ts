// Counts per day (stacked bars, left axis) with cumulative totals (lines, right axis). Days are
// category labels (`2024-03-05`), every calendar day between the first and the last present, so the
// x axis is a true time axis without a chart.js date adapter.

import type { ChartConfiguration, ChartDataset, LegendItem, Scale } from 'chart.js';
import { DAY_MS, filledDays, isoDay, shortDay, utcDay } from './format';
import { axisTitle, font, LAYOUT, plugins, valueAxis, type Headings } from './common';
import { mix, seriesColor, statusColor, withAlpha, type ChartTheme } from './theme';

export interface DailyCount {
  /** `2024-03-05`, an ISO timestamp or epoch ms; counted on its UTC day. */
  day: string | number;
  count: number;
}

export interface DailySeries {
  /** A status name (`succeeded`, `failed`) takes its status colour. */
  label: string;
  days: readonly DailyCount[];
}

export interface DailyCountsInput extends Headings {
  series: readonly DailySeries[];
  countTitle?: string;
  /** Draw the running total of each series on a second axis (default true). */
  cumulative?: boolean;
  cumulativeTitle?: string;
}

type Mixed = 'bar' | 'line';

export function dailyCountsConfig(input: DailyCountsInput, theme: ChartTheme): ChartConfiguration<Mixed, number[], string> {
  const perSeries = input.series.map((s) => {
    const byDay = new Map<number, number>();
    for (const d of s.days) {
      const day = utcDay(d.day);
      if (day !== undefined && Number.isFinite(d.count)) byDay.set(day, (byDay.get(day) ?? 0) + d.count);
    }
    return byDay;
  });
  const present = [...new Set(perSeries.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const days = filledDays(present, DAY_MS);
  // the year once, in the axis title, keeps the ticks short
  const years = [...new Set([days[0], days[days.length - 1]].filter((d) => d !== undefined).map((d) => new Date(d).getUTCFullYear()))];
  const cumulative = input.cumulative ?? true;
  const colors = input.series.map((s, i) => statusColor(theme, s.label) ?? seriesColor(theme, i));
  const bars: Array<ChartDataset<Mixed, number[]>> = input.series.map((s, i) => ({
    type: 'bar',
    label: s.label,
    data: days.map((d) => perSeries[i].get(d) ?? 0),
    backgroundColor: withAlpha(colors[i], 0.55),
    borderColor: colors[i],
    borderWidth: 0,
    yAxisID: 'y',
    stack: 'daily',
    order: 2,
  }));
  const lines: Array<ChartDataset<Mixed, number[]>> = cumulative
    ? input.series.map((s, i) => {
      let sum = 0;
      return {
        type: 'line',
        label: `${s.label} (cumulative)`,
        data: days.map((d) => (sum += perSeries[i].get(d) ?? 0)),
        // a shade of the bar colour that stands out when the line crosses its own bars
        borderColor: mix(colors[i], theme.foreground, 0.35),
        backgroundColor: mix(colors[i], theme.foreground, 0.35),
        borderWidth: 2,
        pointRadius: days.length > 60 ? 0 : 2,
        tension: 0,
        yAxisID: 'y1',
        // lines over bars
        order: 1,
      };
    })
    : [];
  const base = plugins(theme, input, { display: true });
  return {
    type: 'bar',
    data: { labels: days.map(isoDay), datasets: [...bars, ...lines] },
    options: {
      maintainAspectRatio: false,
      layout: LAYOUT,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        ...base,
        // chart.js lists legend items by draw order; keep the input order instead
        legend: { ...base.legend, labels: { ...base.legend.labels, sort: (a: LegendItem, b: LegendItem) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0) } },
      },
      scales: {
        x: {
          type: 'category',
          stacked: true,
          title: axisTitle(theme, `Day (UTC${years.length ? `, ${years.join('–')}` : ''})`),
          grid: { display: false },
          border: { color: theme.axis },
          ticks: {
            color: theme.muted, font: font(theme, 'tick'), autoSkip: true, autoSkipPadding: 10, maxRotation: 0,
            callback(this: Scale, v) { return shortDay(days[Number(v)]); },
          },
        },
        y: valueAxis(theme, { title: input.countTitle ?? 'Runs per day', beginAtZero: true, stacked: true }),
        ...(cumulative ? { y1: valueAxis(theme, { title: input.cumulativeTitle ?? 'Cumulative', beginAtZero: true, position: 'right', grid: false }) } : {}),
      },
    },
  };
}
