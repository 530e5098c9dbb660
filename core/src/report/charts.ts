// The campaign report's charts, as chart.js configurations: the CLI renders them to PNG, the
// editor's Campaign panel draws the same ones. Pure: report JSON and a theme in, configs out.
import type { ChartConfiguration } from 'chart.js';
import { dailyCountsConfig, errorBarsConfig, gpuMixConfig, statusBarsConfig, withUnit } from '../charts';
import type { ChartTheme, ErrorBarSeries } from '../charts';
import { byteUnit, MIB } from './format';
import type { CampaignReport, Distribution, ResourceStats, UsageStats } from './types';

export interface NamedChart {
  /** File-name safe: `hours-by-status` → hours-by-status.png. */
  name: string;
  title: string;
  config: ChartConfiguration;
}

const pct = (x: number | null) => (x === null ? null : x * 100);

/** Values in bytes scaled to the unit byteUnit picks for the largest of them (the tables' family). */
function inBytes(...series: ReadonlyArray<ReadonlyArray<number | null>>): { unit: string; scale: (b: number | null) => number | null } {
  const max = Math.max(0, ...series.flat().filter((v): v is number => v !== null && Number.isFinite(v)));
  const { unit, factor } = byteUnit(max);
  return { unit, scale: (b) => (b === null ? null : b / factor) };
}

/** A bar per item at the median, its whisker from the minimum to the 95th percentile. */
function medianSeries(label: string, ds: ReadonlyArray<Distribution | null>, f = (x: number) => x): ErrorBarSeries {
  return {
    label, values: ds.map((d) => (d ? f(d.median) : null)),
    lower: ds.map((d) => (d ? f(d.min) : null)), upper: ds.map((d) => (d ? f(d.p95) : null)),
  };
}

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
  const moved = (rows: ReadonlyArray<{ bytesSent: number; bytesReceived: number }>) => {
    const b = inBytes(rows.map((x) => x.bytesSent), rows.map((x) => x.bytesReceived));
    return { unit: b.unit, series: [{ label: 'sent', values: rows.map((x) => b.scale(x.bytesSent)) }, { label: 'received', values: rows.map((x) => b.scale(x.bytesReceived)) }] };
  };
  add('bytes-by-resource', 'Data moved per resource', errorBarsConfig({
    title: 'Data moved per resource', categories: labels, categoryTitle: 'Resource', valueTitle: 'Data', ...moved(res),
  }, theme) as ChartConfiguration);
  const types = r.jobTypes;
  add('bytes-by-job-type', 'Data moved per job type', errorBarsConfig({
    title: 'Data moved per job type', categories: types.map((j) => j.jobType), categoryTitle: 'Job type', valueTitle: 'Data', ...moved(types),
  }, theme) as ChartConfiguration);
  const typesWithTransfer = types.filter((j) => j.transferInput);
  if (typesWithTransfer.some((j) => j.transferRate !== null)) {
    const b = inBytes(typesWithTransfer.map((j) => j.transferRate));
    add('transfer-rate-by-job-type', 'Input transfer rate per job type', errorBarsConfig({
      title: 'Input transfer rate per job type', subtitle: 'bytes received / transfer time, over attempts with both',
      categories: typesWithTransfer.map((j) => j.jobType), categoryTitle: 'Job type', valueTitle: 'Transfer rate', unit: `${b.unit}/s`,
      series: [{ label: 'rate', values: typesWithTransfer.map((j) => b.scale(j.transferRate)) }],
    }, theme) as ChartConfiguration);
  }
  if (typesWithTransfer.length) {
    // shares are usually small: a fixed 100 % end would flatten them, and is needed only near it
    const high = typesWithTransfer.some((j) => (j.transferShare ?? 0) > 0.5);
    add('transfer-share-by-job-type', 'Time spent on input transfer per job type', errorBarsConfig({
      title: 'Time spent on input transfer per job type', subtitle: 'transfer time / (transfer + execution time)',
      categories: typesWithTransfer.map((j) => j.jobType), categoryTitle: 'Job type', valueTitle: 'Share of time', unit: '%', min: 0, max: high ? 100 : undefined,
      series: [{ label: 'transfer share', values: typesWithTransfer.map((j) => pct(j.transferShare)) }],
    }, theme) as ChartConfiguration);
  }
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
  if (r.daily.some((d) => d.bytesReceived > 0)) {
    const b = inBytes(r.daily.map((d) => d.bytesReceived));
    add('data-received-per-day', 'Data received per day', dailyCountsConfig({
      title: 'Data received per day', subtitle: 'input and checkpoints moved to the execute nodes',
      series: perResource((c) => b.scale(c.bytesReceived)!), countTitle: withUnit('Received per day', b.unit), cumulativeTitle: withUnit('Cumulative', b.unit),
    }, theme) as ChartConfiguration);
  }
  if (r.daily.some((d) => d.transferHours > 0)) {
    add('transfer-hours-per-day', 'Input transfer hours per day', dailyCountsConfig({
      title: 'Input transfer hours per day', series: perResource((c) => c.transferHours), countTitle: 'Transfer hours per day', cumulative: false,
    }, theme) as ChartConfiguration);
  }
  const gpuUse = res.filter((x) => x.gpuUtilization);
  if (gpuUse.length) {
    add('gpu-utilization', 'GPU utilisation and efficiency per resource', errorBarsConfig({
      title: 'GPU utilisation and efficiency per resource', subtitle: 'utilisation: median, whisker minimum to 95th percentile; efficiency: busy / allocated GPU-hours',
      categories: gpuUse.map((x) => x.resource), categoryTitle: 'Resource', valueTitle: 'GPU utilisation', unit: '%', min: 0, max: 100,
      series: [medianSeries('utilisation per attempt', gpuUse.map((x) => x.gpuUtilization)), { label: 'GPU efficiency', values: gpuUse.map((x) => pct(x.gpuEfficiency)) }],
    }, theme) as ChartConfiguration);
  }
  const gpuMem = res.filter((x) => x.gpuMemoryUtilization);
  if (gpuMem.length) {
    add('gpu-memory-utilization', 'GPU memory used per resource', errorBarsConfig({
      title: 'GPU memory used per resource', subtitle: 'peak used / GPU memory per attempt: median, whisker minimum to 95th percentile',
      categories: gpuMem.map((x) => x.resource), categoryTitle: 'Resource', valueTitle: 'GPU memory used', unit: '%', min: 0, max: 100,
      series: [medianSeries('used / total', gpuMem.map((x) => x.gpuMemoryUtilization), (v) => v * 100)],
    }, theme) as ChartConfiguration);
  }
  const usage = (kind: keyof ResourceStats['usage'], what: string, toBytes?: number) => {
    const rows = res.filter((x) => x.usage[kind]);
    if (!rows.length) return;
    const u = rows.map((x) => x.usage[kind] as UsageStats);
    const b = toBytes ? inBytes(u.map((s) => s.requestedMean * toBytes), u.map((s) => s.usedMean * toBytes)) : undefined;
    const scale = (v: number) => (b ? b.scale(v * toBytes!)! : v);
    add(`requested-vs-used-${kind}`, `Requested and used ${what} per resource`, errorBarsConfig({
      title: `Requested and used ${what} per resource`, subtitle: 'means over attempts that report both',
      categories: rows.map((x) => x.resource), categoryTitle: 'Resource', valueTitle: what[0].toUpperCase() + what.slice(1), unit: b?.unit,
      series: [{ label: 'requested', values: u.map((s) => scale(s.requestedMean)) }, { label: 'used', values: u.map((s) => scale(s.usedMean)) }],
    }, theme) as ChartConfiguration);
  };
  usage('memory', 'memory', MIB);
  usage('cpus', 'CPUs');
  usage('disk', 'disk', MIB);
  return charts;
}
