// The Compare panel apart from the DOM: groups (per sweep, per value of a parameter, or per run), the
// comparison from core/src/stats (ranking, tests against the best, bootstrap interval, speedup),
// and its charts. Succeeded runs give the values, as in `expctl compare`; every run counts for wall time.
import { boxPlotConfig, errorBarsConfig, metricLinesConfig, type BoxGroup, type ChartTheme, type Point } from '../../../core/src/charts';
import type { Goal } from '../../../core/src/config/types';
import type { NamedChart } from '../../../core/src/report/charts';
import { duration } from '../../../core/src/report/format';
import { campaignTimes, compareGroups, groupItems, runSpans, type ComparedGroup, type Comparison, type ComparisonRow, type Description, type GroupItem, type Reduce } from '../../../core/src/stats';
import type { CompareData, Curves, PanelSettings, RunRow, UiStates } from '../contract';
import { isMetricName, num, paramLabel } from '../lib/format';
import type { Column } from '../lib/table';
import { appendSeries, metricXTitle } from '../lib/series';
import type { Option } from '../ui/dom';

export type CompareUi = UiStates['compare'];

export interface Choice {
  metric: string;
  /** `sweep`, `run` (BY_RUN), or a parameter path. */
  by: string;
  reduce: Reduce;
  goal: Goal;
  rank: 'median' | 'mean';
}

export function metricsOf(runs: readonly RunRow[]): string[] {
  const s = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.summary)) if (isMetricName(k)) s.add(k);
  return [...s].sort();
}

/**
 * Grouping by run: each run is a group whose values are its reports of the metric (its curve), so
 * that two hand-picked runs can be compared. Runs without a loaded curve are left out while others
 * have one; with no curve at all, each run gives its one summary value.
 */
export const BY_RUN = 'run';

export function groupingsOf(runs: readonly RunRow[]): Option[] {
  const params = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.params)) params.add(k);
  return [
    { value: 'sweep', label: 'sweep' }, ...[...params].sort().map((p) => ({ value: p, label: paramLabel(p) })),
    { value: BY_RUN, label: 'run (its reports)' },
  ];
}

/** The saved choices where they still apply; else the sweeps' primary metric, grouped by sweep when there are several. */
export function choose(data: CompareData, ui: CompareUi): Choice | undefined {
  const metrics = metricsOf(data.runs);
  const declared = data.sweeps.find((s) => s.metric && metrics.includes(s.metric.name))?.metric;
  const metric = ui.metric && metrics.includes(ui.metric) ? ui.metric : declared?.name ?? metrics[0];
  if (!metric) return undefined;
  const groupings = groupingsOf(data.runs).map((o) => o.value);
  const params = groupings.filter((g) => g !== 'sweep' && g !== BY_RUN);
  const sweeps = new Set(data.runs.map((r) => r.sweep_id)).size;
  const by = ui.by && groupings.includes(ui.by) ? ui.by : sweeps > 1 || !params.length ? 'sweep' : params[0];
  const goal = ui.goal ?? data.sweeps.find((s) => s.metric?.name === metric)?.metric?.goal ?? 'minimize';
  return { metric, by, goal, reduce: ui.reduce ?? 'final', rank: ui.rank ?? 'median' };
}

export interface CompareResult {
  choice: Choice;
  comparison: Comparison;
  /** Display name per group key. */
  labels: Map<string, string>;
  /** Wall time per group (seconds), when grouped by sweep. */
  wall: Map<string, number>;
  /** Runs left out because they did not succeed. */
  left: number;
  /** Grouped by run: runs left out because their curve is not loaded while others' are (reports and one value do not compare). */
  withoutCurve: number;
}

export function runComparison(data: CompareData, choice: Choice, settings: Pick<PanelSettings, 'resamples' | 'seed'>, curves?: CurveStore): CompareResult {
  const used = data.runs.filter((r) => r.status === 'succeeded');
  const bySweep = choice.by === 'sweep';
  const byRun = choice.by === BY_RUN;
  // groupItems reads only ids, params, summaries and key paths, which RunRow keeps with RunRecord's names.
  const groups = groupItems(used as unknown as GroupItem[], { by: bySweep ? 'sweep_id' : byRun ? 'id' : choice.by, metrics: [choice.metric], reduce: choice.reduce });
  const wall = new Map<string, number>();
  const loaded = byRun && curves?.metric === choice.metric ? curves.runs : undefined;
  const drawn = loaded ? groups.filter((g) => loaded.get(g.key)?.length) : [];
  // with some curves loaded, a run without one would compare its single value against others' reports
  const kept = drawn.length ? drawn : groups;
  const compared: ComparedGroup[] = kept.map((g) => {
    const col = g.metrics[choice.metric];
    const curve = loaded?.get(g.key);
    const out: ComparedGroup = curve?.length
      ? { key: g.key, values: curve.map((p) => p.y), ids: curve.map((p) => `${g.key}@${p.x}`) }
      : { key: g.key, values: col.values, ids: col.ids };
    if (bySweep) {
      const times = campaignTimes(runSpans(data.runs.filter((r) => r.sweep_id === g.key)));
      const workers = data.sweeps.find((s) => s.id === g.key)?.maxParallel;
      if (times && times.wallS > 0 && workers) {
        // Per trial, as the CLI's compare: a sequential subset still compares with the whole grid.
        const done = used.filter((r) => r.sweep_id === g.key);
        Object.assign(out, { wallS: times.wallS, workers, trialS: times.trialS, trials: done.length, trialKeys: done.map((r) => r.trial.key) });
        wall.set(g.key, times.wallS);
      }
    }
    return out;
  });
  const comparison = compareGroups(compared, { metric: choice.metric, goal: choice.goal, by: choice.rank, seed: settings.seed, resamples: settings.resamples });
  return {
    choice, comparison, labels: groupLabels(data, kept.map((g) => g.key), choice.by), wall, left: data.runs.length - used.length,
    withoutCurve: groups.length - kept.length,
  };
}

function groupLabels(data: CompareData, keys: readonly string[], by: string): Map<string, string> {
  if (by === BY_RUN) return uniqueNames(keys, (k) => data.runs.find((r) => r.id === k)?.trial.name ?? k);
  if (by !== 'sweep') return new Map(keys.map((k) => [k, `${paramLabel(by)}=${k}`]));
  return uniqueNames(keys, (k) => data.sweeps.find((s) => s.id === k)?.name ?? k);
}

/** A name per key; two keys of one name (the same sweep file in two places, two runs of one trial) are told apart by key. */
function uniqueNames(keys: readonly string[], name: (key: string) => string): Map<string, string> {
  const count = new Map<string, number>();
  for (const k of keys) count.set(name(k), (count.get(name(k)) ?? 0) + 1);
  return new Map(keys.map((k) => [k, count.get(name(k))! > 1 ? `${name(k)} (${k})` : name(k)]));
}

/** The stats summary as a box (whiskers at matplotlib's 1.5 IQR, as `describe` computes them). */
export function boxGroup(label: string, d: Description): BoxGroup {
  return {
    label, min: d.min, max: d.max, q1: d.box.q1, median: d.box.median, q3: d.box.q3,
    whiskerMin: d.box.whiskerLow, whiskerMax: d.box.whiskerHigh, mean: d.mean, outliers: d.box.outliers.map((o) => o.value), n: d.n,
  };
}

export function compareCharts(res: CompareResult, theme: ChartTheme): NamedChart[] {
  const { choice, comparison, labels } = res;
  const rows = comparison.rows;
  if (!rows.length) return [];
  const byLabel = choice.by === 'sweep' ? 'Sweep' : choice.by === BY_RUN ? 'Run' : paramLabel(choice.by);
  const label = (r: ComparisonRow) => labels.get(r.key) ?? r.key;
  const many = rows.length > 8;
  const box = boxPlotConfig({
    title: `${choice.metric} by ${byLabel.toLowerCase()}`,
    subtitle: choice.by === BY_RUN ? `each run's reports of ${choice.metric}; ◇ mean` : `${choice.reduce} value of each succeeded run; ◇ mean`,
    groups: rows.map((r) => boxGroup(label(r), r.summary)), valueTitle: choice.metric, groupTitle: byLabel, horizontal: many,
  }, theme);
  const bars = errorBarsConfig({
    title: `Mean ${choice.metric} with 95% confidence interval`, subtitle: 'Student t interval of the mean',
    categories: rows.map(label), categoryTitle: byLabel, valueTitle: choice.metric, horizontal: many,
    series: [{ label: 'mean', values: rows.map((r) => r.summary.mean), lower: rows.map((r) => r.summary.ci?.low ?? null), upper: rows.map((r) => r.summary.ci?.high ?? null) }],
  }, theme);
  return [
    { name: 'boxplot', title: 'Box plot', config: box as NamedChart['config'] },
    { name: 'mean-ci', title: 'Mean and CI', config: bars as NamedChart['config'] },
  ];
}

/** p-values as people read them: two significant digits, and `<0.0001` below that. */
export function fmtP(p: number | undefined): string {
  if (p === undefined || !Number.isFinite(p)) return '';
  return p < 1e-4 ? '<0.0001' : String(Number(p.toPrecision(2)));
}

export function rankingColumns(res: CompareResult): Column<ComparisonRow>[] {
  const md = (r: ComparisonRow) => r.vsBest?.medianDiff;
  const cols: Column<ComparisonRow>[] = [
    { id: 'rank', label: 'Rank', value: (r) => r.rank, numeric: true, width: 0.6 },
    { id: 'group', label: 'Group', value: (r) => res.labels.get(r.key) ?? r.key, width: 2.5 },
    { id: 'n', label: 'n', value: (r) => r.n, numeric: true, width: 0.5 },
    { id: 'value', label: res.comparison.by, value: (r) => r.value, text: (r) => num(r.value), numeric: true },
    { id: 'ratio', label: 'Ratio to best', value: (r) => r.ratio, text: (r) => (r.ratio === undefined ? '' : `${r.ratio.toFixed(3)}×`), numeric: true },
    { id: 'welch', label: 'p Welch', value: (r) => r.vsBest?.welchP, text: (r) => fmtP(r.vsBest?.welchP), numeric: true },
    { id: 'mw', label: 'p Mann–Whitney', value: (r) => r.vsBest?.mannWhitneyP, text: (r) => fmtP(r.vsBest?.mannWhitneyP), numeric: true },
    {
      id: 'mediandiff', label: 'Median diff. vs best (95% CI)', value: (r) => md(r)?.observed, width: 2.8,
      text: (r) => { const d = md(r); return d ? `${num(d.observed)} [${num(d.low)}, ${num(d.high)}]` : ''; }, numeric: true,
    },
  ];
  if (res.wall.size) {
    cols.push(
      { id: 'wall', label: 'Wall time', value: (r) => res.wall.get(r.key), text: (r) => { const w = res.wall.get(r.key); return w === undefined ? '' : duration(w); }, numeric: true },
      // Campaigns of different trials have no speedup: the cell says so rather than stay blank.
      { id: 'speedup', label: 'Speedup', value: (r) => r.speedup?.speedup, text: (r) => (r.speedup ? `${r.speedup.speedup.toFixed(2)}×` : r.noSpeedup ? 'n/a: different trials' : ''), numeric: true },
      { id: 'efficiency', label: 'Efficiency', value: (r) => r.speedup?.efficiency, text: (r) => (r.speedup ? `${(100 * r.speedup.efficiency).toFixed(0)}% of ${r.speedup.workers}` : ''), numeric: true },
    );
  }
  return cols;
}

/** Curves of one metric per run, grown by updates. */
export class CurveStore {
  metric?: string;
  omitted = 0;
  readonly runs = new Map<string, Point[]>();
  /** Runs whose curve is over steps; the others are over their count of reports. */
  readonly steps = new Set<string>();

  apply(c: Curves): void {
    if (c.reset || c.metric !== this.metric) {
      this.runs.clear();
      this.steps.clear();
    }
    this.metric = c.metric;
    this.omitted = c.omitted;
    appendSeries(this.runs, c.runs, this.steps);
  }
}

export function curvesChart(store: CurveStore, runs: readonly RunRow[], theme: ChartTheme): NamedChart | undefined {
  if (!store.metric || !store.runs.size) return undefined;
  const name = new Map(runs.map((r) => [r.id, r.trial.name]));
  // steps as soon as one run has them: a mix of steps and report counts has no better title
  const steps = store.steps.size > 0;
  const config = metricLinesConfig({
    title: `${store.metric} over ${steps ? 'steps' : 'reports'}`,
    xTitle: metricXTitle(steps),
    subtitle: store.omitted ? `the first ${store.runs.size} runs; ${store.omitted} more not drawn` : undefined,
    metric: store.metric,
    runs: [...store.runs].map(([id, points]) => ({ label: name.get(id) ?? id, points })),
  }, theme);
  return { name: 'curves', title: 'Curves', config: config as NamedChart['config'] };
}
