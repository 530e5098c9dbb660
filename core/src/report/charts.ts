// The campaign report's charts, as chart.js configurations: the CLI renders them to PNG, the
// editor's Campaign panel draws the same ones. Pure: report JSON and a theme in, configs out.
import type { ChartConfiguration } from 'chart.js';
import { dailyCountsConfig, errorBarsConfig, gpuMixConfig, statusBarsConfig } from '../charts';
import type { ChartTheme } from '../charts';
import type { CampaignReport } from './types';

export interface NamedChart {
  /** File-name safe: `hours-by-status` → hours-by-status.png. */
  name: string;
  title: string;
  config: ChartConfiguration;
}

const GB = 1e9;
const pct = (x: number | null) => (x === null ? null : x * 100);

export function reportCharts(r: CampaignReport, theme: ChartTheme): NamedChart[] {
  const res = r.resources;
  const labels = res.map((x) => x.resource);
  const period = r.period.first && r.period.last ? `${r.period.first.slice(0, 10)} – ${r.period.last.slice(0, 10)}` : undefined;
  const charts: NamedChart[] = [];
  const add = (name: string, title: string, config: ChartConfiguration) => charts.push({ name, title, config });
  add('hours-by-status', 'Execution hours by final status', statusBarsConfig({
    title: 'Execution hours by final status', subtitle: period, rows: res.map((x) => ({ label: x.resource, counts: x.statusHours })),
    categoryTitle: 'Resource', countTitle: 'Execution hours',
  }, theme) as ChartConfiguration);
  add('attempts-by-status', 'Attempts by final status', statusBarsConfig({
    title: 'Attempts by final status', subtitle: period, rows: res.map((x) => ({ label: x.resource, counts: x.statusCounts })),
    categoryTitle: 'Resource', countTitle: 'Attempts',
  }, theme) as ChartConfiguration);
  add('success-rate', 'Success rate per resource', errorBarsConfig({
    title: 'Success rate per resource', subtitle: 'completed and checkpointed count as successful',
    categories: labels, categoryTitle: 'Resource', valueTitle: 'Success rate', unit: '%', min: 0, max: 100,
    series: [{ label: 'share of execution hours', values: res.map((x) => pct(x.successRate)) },
      { label: 'share of attempts', values: res.map((x) => pct(x.attemptSuccessRate)) }],
  }, theme) as ChartConfiguration);
  // Past the palette's size colours would repeat: the smallest types are folded into "other".
  const mix = [...r.overall.gpuMix].sort((a, b) => b.gpuHours - a.gpuHours);
  const keep = mix.length > theme.palette.length ? theme.palette.length - 1 : mix.length;
  const slices = mix.slice(0, keep).map((g) => ({ label: g.device, value: g.gpuHours }));
  if (mix.length > keep) slices.push({ label: `${mix.length - keep} other types`, value: mix.slice(keep).reduce((t, g) => t + g.gpuHours, 0) });
  add('gpu-mix', 'GPU mix (GPU-hours)', gpuMixConfig({ title: 'GPU mix', slices, unit: 'GPU-hours' }, theme) as ChartConfiguration);
  add('bytes-by-resource', 'Data moved per resource', errorBarsConfig({
    title: 'Data moved per resource', categories: labels, categoryTitle: 'Resource', valueTitle: 'Data', unit: 'GB',
    series: [{ label: 'sent', values: res.map((x) => x.bytesSent / GB) }, { label: 'received', values: res.map((x) => x.bytesReceived / GB) }],
  }, theme) as ChartConfiguration);
  add('bytes-by-job-type', 'Data moved per job type', errorBarsConfig({
    title: 'Data moved per job type', categories: r.jobTypes.map((j) => j.jobType), categoryTitle: 'Job type', valueTitle: 'Data', unit: 'GB',
    series: [{ label: 'sent', values: r.jobTypes.map((j) => j.bytesSent / GB) }, { label: 'received', values: r.jobTypes.map((j) => j.bytesReceived / GB) }],
  }, theme) as ChartConfiguration);
  const withTransfer = res.filter((x) => x.transferInput);
  if (withTransfer.length) {
    add('transfer-input', 'Input transfer time per resource', errorBarsConfig({
      title: 'Input transfer time per resource', subtitle: 'bar: median; whisker: minimum to 95th percentile',
      categories: withTransfer.map((x) => x.resource), categoryTitle: 'Resource', valueTitle: 'Transfer time', unit: 's',
      series: [{ label: 'median', values: withTransfer.map((x) => x.transferInput!.median),
        lower: withTransfer.map((x) => x.transferInput!.min), upper: withTransfer.map((x) => x.transferInput!.p95) }],
    }, theme) as ChartConfiguration);
  }
  const perResource = (f: (c: CampaignReport['daily'][number]['byResource'][string]) => number) =>
    labels.map((label) => ({ label, days: r.daily.map((d) => ({ day: d.date, count: d.byResource[label] ? f(d.byResource[label]) : 0 })) }));
  add('attempts-per-day', 'Attempts per day', dailyCountsConfig({
    title: 'Attempts per day', series: perResource((c) => c.attempts), countTitle: 'Attempts per day', cumulative: false,
  }, theme) as ChartConfiguration);
  add('epochs-per-day', 'Epochs per day and cumulative', dailyCountsConfig({
    title: 'Completed epochs per day', series: perResource((c) => c.epochs), countTitle: 'Epochs per day', cumulativeTitle: 'Cumulative epochs',
  }, theme) as ChartConfiguration);
  return charts;
}
