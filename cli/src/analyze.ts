// `expctl stats`, `expctl compare` and `expctl report`: the numbers users used to get from pandas,
// scipy and seaborn, from the results store or any CSV with one row per run (or per job attempt).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { planFile } from '../../core/src/runner/runner';
import { kindFromFileName } from '../../core/src/schema/registry';
import { FileStore, storeDirFor } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { formatDiagnostic } from '../../core/src/diagnostic';
import { parseCsv } from '../../core/src/util/csv';
import { compareGroups, groupItems, summarizeGroups } from '../../core/src/stats';
import type { Comparison, Description, GroupItem, MetricColumn, Reduce } from '../../core/src/stats';
import { boxPlotConfig, createTheme } from '../../core/src/charts';
import type { BoxGroup } from '../../core/src/charts';
import type * as Png from '../../core/src/charts/png';
import { campaignReport, FIELDS, renderMarkdown, ReportInputError } from '../../core/src/report';
import type { Field } from '../../core/src/report';
import { reportCharts } from '../../core/src/report/charts';
import { writeFileAtomic } from '../../core/src/store/atomic';
import { csvTable } from '../../core/src/util/csv';
import { diskHost, ensureDir, InputError, readInput, resolveRunId, storeFrom, table, UsageError, whyNotWritable } from './common';
import { fmtNum } from './render';

/** Runs (or CSV rows) to analyse, named for the output, with what is known of their campaign. */
interface Source {
  label: string;
  items: GroupItem[];
  /** The primary metric its sweep declares. */
  metric?: { name: string; goal: 'minimize' | 'maximize' };
  /** Start and end (ms) of every run, whatever its status: the campaign's wall time and concurrency. */
  spans: Array<[number, number]>;
  /** Runs at once it was allowed (sweep.json max_parallel). */
  maxParallel?: number;
  /** Runs that succeeded, whether or not they are analysed (--all): the work its wall time delivered. */
  done: number;
  left: number;
}

const ALL = '\u0000all';

function sweepMeta(store: FileStore, id: string): { name?: string; metric?: Source['metric']; max_parallel?: number } {
  try { return JSON.parse(fs.readFileSync(path.join(store.sweepDir(id), 'sweep.json'), 'utf8')); } catch { return {}; }
}

function fromRuns(label: string, runs: RunRecord[], all: boolean, meta: ReturnType<typeof sweepMeta> = {}): Source {
  const spans = runs.filter((r) => r.started && r.ended).map((r): [number, number] => [Date.parse(r.started!), Date.parse(r.ended!)]);
  const done = runs.filter((r) => r.status === 'succeeded');
  const used = all ? runs : done;
  return { label, items: used, metric: meta.metric, spans, maxParallel: meta.max_parallel, done: done.length, left: runs.length - used.length };
}

function fromCsv(file: string, all: boolean): Source {
  const parsed = parseCsv(readInput(file));
  if (!parsed.header.length) throw new InputError(`${file}: empty file (expected a header row and one row per run)`);
  for (const p of parsed.problems.slice(0, 5)) process.stderr.write(`${file}:${p.line}: ${p.message} — row skipped\n`);
  if (parsed.problems.length > 5) process.stderr.write(`${file}: ${parsed.problems.length - 5} more bad rows skipped\n`);
  const rows = parsed.rows.map((r) => Object.fromEntries(parsed.header.map((h, i) => [h, r.cells[i] ?? ''])));
  // A table with a status column: only successful rows count, as for runs from the store.
  const ok = (v: string | undefined) => v === undefined || /^(succeeded|completed|success|ok)$/i.test(v);
  const done = rows.filter((r) => ok(r.status));
  const used = all ? rows : done;
  const spans = rows.filter((r) => r.started && r.ended).map((r): [number, number] => [Date.parse(r.started), Date.parse(r.ended)]).filter(([a, b]) => a <= b);
  return { label: path.basename(file).replace(/\.csv$/i, ''), items: used, spans, done: done.length, left: rows.length - used.length };
}

/** A CSV, a sweep or experiment file, a sweep id, or run ids (and prefixes) from the store. */
function loadSources(args: string[], storeFlag: string | undefined, all: boolean): Source[] {
  const out: Source[] = [];
  const runIds: string[] = [];
  let store: FileStore | undefined;
  const storeOf = () => (store ??= storeFrom(storeFlag));
  for (const arg of args) {
    if (/\.csv$/i.test(arg)) { out.push(fromCsv(arg, all)); continue; }
    if (kindFromFileName(arg) === 'sweep' || kindFromFileName(arg) === 'experiment') {
      readInput(arg);
      const { plan, diagnostics } = planFile(arg, diskHost);
      if (!plan) throw new InputError(diagnostics.map((d) => formatDiagnostic(arg, d)).join('\n'));
      const s = new FileStore(path.resolve(storeFlag ?? storeDirFor(arg)));
      const runs = s.all().filter((r) => r.sweep_id === plan.sweepId);
      if (!runs.length) throw new InputError(`${arg}: no runs in ${s.root} yet (run it with \`expctl run ${arg}\`)`);
      out.push(fromRuns(plan.name, runs, all, { ...sweepMeta(s, plan.sweepId), metric: plan.metric }));
      continue;
    }
    const sweepRuns = storeOf().all().filter((r) => r.sweep_id === arg);
    if (sweepRuns.length) {
      const meta = sweepMeta(storeOf(), arg);
      out.push(fromRuns(meta.name ?? arg, sweepRuns, all, meta));
    } else {
      runIds.push(resolveRunId(storeOf(), arg));
    }
  }
  if (runIds.length) {
    const runs = runIds.map((id) => store!.get(id)!);
    out.push(fromRuns(runIds.length === 1 ? runIds[0] : `${runIds.length} runs`, runs, all));
  }
  return out;
}

function metricOf(sources: Source[], given: string | undefined): { name: string; goal: 'minimize' | 'maximize' } {
  if (given) return { name: given, goal: sources.find((s) => s.metric?.name === given)?.metric?.goal ?? 'minimize' };
  const declared = sources.find((s) => s.metric)?.metric;
  if (declared) return declared;
  const names = new Set<string>();
  for (const s of sources) {
    for (const it of s.items.slice(0, 200)) {
      const sum = (it as RunRecord).summary;
      for (const k of Object.keys(sum && typeof sum === 'object' ? sum : it)) names.add(k.replace(/\.(last|min|max|mean)$/, ''));
    }
  }
  throw new UsageError(`which metric? pass --metric NAME${names.size ? ` (found: ${[...names].slice(0, 12).join(', ')})` : ''}`);
}

interface Grouped { key: string; values: Float64Array; ids: string[]; missing: number; reasons: MetricColumn['reasons']; size: number; source: Source }

function group(sources: Source[], metric: string, by: string | undefined, reduce: Reduce): Grouped[] {
  const out: Grouped[] = [];
  for (const s of sources) {
    if (!s.items.length) continue;
    const groups = groupItems(s.items, { by: by ? by.split(',').map((x) => x.trim()) : ALL, metrics: [metric], reduce });
    for (const g of groups) {
      const key = !by ? s.label : sources.length > 1 ? `${s.label} · ${g.key}` : g.key;
      const col = g.metrics[metric];
      out.push({ key, values: col.values, ids: col.ids, missing: col.missing, reasons: col.reasons, size: g.size, source: s });
    }
  }
  return out;
}

function leftOutNote(sources: Source[]): void {
  const left = sources.reduce((n, s) => n + s.left, 0);
  if (left) process.stderr.write(`${left} run${left === 1 ? '' : 's'} that did not succeed left out (--all to include them)\n`);
}

/** Per group, the values left out and why: `lr0.1: 2 values of val_loss excluded (1 NaN, 1 missing)`. */
function excludedNote(groups: Grouped[], metric: string): void {
  for (const g of groups) {
    if (!g.missing) continue;
    const why = Object.entries(g.reasons).map(([reason, n]) => `${n} ${reason}`).join(', ');
    process.stderr.write(`${g.key}: ${g.missing} value${g.missing === 1 ? '' : 's'} of ${metric} excluded (${why})\n`);
  }
}

type Format = 'table' | 'json' | 'csv' | 'md';
function formatOf(v: { json?: boolean; csv?: boolean; md?: boolean }): Format {
  const chosen = (['json', 'csv', 'md'] as const).filter((f) => v[f]);
  if (chosen.length > 1) throw new UsageError(`choose one of --json, --csv, --md (got ${chosen.map((f) => `--${f}`).join(' and ')})`);
  return chosen[0] ?? 'table';
}

function emit(fmt: Format, head: string[], rows: string[][], json: unknown): void {
  if (fmt === 'json') process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else if (fmt === 'csv') process.stdout.write(csvTable(head, rows));
  else if (fmt === 'md') {
    const esc = (c: string) => c.replace(/\|/g, '\\|');
    process.stdout.write([`| ${head.map(esc).join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n') + '\n');
  } else process.stdout.write(table(head, rows));
}

const num = (x: number | undefined, fmt: Format) => (x === undefined || !Number.isFinite(x) ? '' : fmt === 'csv' ? String(x) : fmtNum(x));
const pval = (p: number | undefined) => (p === undefined ? '' : p < 0.001 ? '<0.001' : p.toPrecision(2));

function toBox(key: string, d: Description): BoxGroup {
  return { label: key, min: d.min, q1: d.box.q1, median: d.box.median, q3: d.box.q3, max: d.max, whiskerMin: d.box.whiskerLow, whiskerMax: d.box.whiskerHigh, mean: d.mean, outliers: d.box.outliers.map((o) => o.value), n: d.n };
}

/**
 * The headless renderer, loaded on first use: it needs the native @napi-rs/canvas, which the
 * extension's copy of the CLI (for launching runs) does not carry.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load; esbuild bundles it behind a lazy initialiser
const renderer = async (): Promise<typeof Png> => require('../../core/src/charts/png') as typeof Png;

/** A box plot of the groups, written atomically (PNG or, by extension, SVG). */
async function writeBoxChart(file: string, metric: string, title: string, groups: Array<{ key: string; d: Description }>): Promise<void> {
  const { renderChart } = await renderer();
  const cfg = boxPlotConfig({ title, groups: groups.map((g) => toBox(g.key, g.d)), valueTitle: metric, groupTitle: '' }, createTheme({ mode: 'light' }));
  const svg = /\.svg$/i.test(file);
  ensureDir(`--chart ${file}: folder`, path.dirname(path.resolve(file)));
  try {
    writeFileAtomic(file, renderChart(cfg, { width: 1200, height: 700, format: svg ? 'svg' : 'png', scale: svg ? 1 : 2 }), false);
  } catch (e) {
    throw new InputError(`--chart ${file}: ${whyNotWritable(e)}`);
  }
  process.stderr.write(`chart: ${file}\n`);
}

const common = {
  metric: { type: 'string' }, 'group-by': { type: 'string' }, reduce: { type: 'string' }, all: { type: 'boolean' },
  json: { type: 'boolean' }, csv: { type: 'boolean' }, md: { type: 'boolean' }, store: { type: 'string' }, chart: { type: 'string' },
} as const;

function reduceOf(v: string | undefined): Reduce {
  const r = v ?? 'final';
  if (!['final', 'min', 'max', 'mean'].includes(r)) throw new UsageError(`--reduce takes final, min, max or mean (got "${r}")`);
  return r as Reduce;
}

export async function cmdStats(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, allowPositionals: true, options: common });
  if (!positionals.length) throw new UsageError('stats needs runs: a sweep file or id, run ids, or a CSV (e.g. `expctl stats grid.sweep.yaml --metric val_loss --group-by params.lr`)');
  const fmt = formatOf(v);
  const sources = loadSources(positionals, v.store, !!v.all);
  const metric = metricOf(sources, v.metric);
  const groups = group(sources, metric.name, v['group-by'], reduceOf(v.reduce));
  leftOutNote(sources);
  excludedNote(groups, metric.name);
  const summaries = groups.map((g) => ({ g, s: summarizeGroups([{ key: g.key, values: [], size: g.size, metrics: { [metric.name]: g } }], metric.name)[0] }));
  const head = [v['group-by'] ?? 'group', 'n', 'excluded', 'mean', 'std', 'ci95_low', 'ci95_high', 'min', 'q1', 'median', 'q3', 'max', 'outliers'];
  const rows = summaries.map(({ g, s }) => {
    const d = s.summary;
    if (d.empty) return [g.key, '0', String(d.excluded), '', '', '', '', '', '', '', '', '', ''];
    return [g.key, String(d.n), String(d.excluded), num(d.mean, fmt), num(d.std, fmt), num(d.ci?.low, fmt), num(d.ci?.high, fmt), num(d.min, fmt),
      num(d.box.q1, fmt), num(d.box.median, fmt), num(d.box.q3, fmt), num(d.max, fmt), d.box.outliers.map((o) => o.id ?? o.value).join(' ')];
  });
  emit(fmt, head, rows, { metric: metric.name, reduce: reduceOf(v.reduce), groups: summaries.map(({ s }) => s) });
  for (const { s } of summaries) if (s.summary.empty) process.stderr.write(`${s.key}: ${s.summary.message}\n`);
  if (v.chart) {
    const drawn = summaries.flatMap(({ s }) => (s.summary.empty ? [] : [{ key: s.key, d: s.summary }]));
    await writeBoxChart(v.chart, metric.name, `${metric.name} by ${v['group-by'] ?? 'group'}`, drawn);
  }
  return 0;
}

export async function cmdCompare(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, allowPositionals: true, options: {
    ...common, by: { type: 'string' }, goal: { type: 'string' }, seed: { type: 'string' },
  } });
  if (!positionals.length) throw new UsageError('compare needs two or more sweeps, run sets or CSVs — or one with --group-by');
  const fmt = formatOf(v);
  const sources = loadSources(positionals, v.store, !!v.all);
  const metric = metricOf(sources, v.metric);
  if (v.goal && v.goal !== 'minimize' && v.goal !== 'maximize') throw new UsageError(`--goal takes minimize or maximize (got "${v.goal}")`);
  if (v.by && v.by !== 'median' && v.by !== 'mean') throw new UsageError(`--by takes median or mean (got "${v.by}")`);
  const groups = group(sources, metric.name, v['group-by'], reduceOf(v.reduce));
  if (groups.length < 2) throw new UsageError(`compare needs at least two groups, got ${groups.length} (give more sources, or --group-by)`);
  leftOutNote(sources);
  excludedNote(groups, metric.name);
  // Whole campaigns (no --group-by): wall time from first start to last end, their parallelism, and
  // the trials that succeeded in it (speedup is of wall time per trial).
  const campaign = (s: Source) => {
    if (v['group-by'] || !s.spans.length) return {};
    const start = Math.min(...s.spans.map((x) => x[0]));
    const end = Math.max(...s.spans.map((x) => x[1]));
    return { wallS: (end - start) / 1000, workers: s.maxParallel ?? peakConcurrency(s.spans), trialS: s.spans.map(([a, b]) => (b - a) / 1000), trials: s.done };
  };
  const seed = v.seed === undefined ? 1 : Number(v.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed takes a whole number (got "${v.seed}")`);
  const c = compareGroups(groups.map((g) => ({ key: g.key, values: g.values, ids: g.ids, ...campaign(g.source) })),
    { metric: metric.name, goal: (v.goal as 'minimize' | 'maximize' | undefined) ?? metric.goal, by: (v.by as 'median' | 'mean' | undefined) ?? 'median', seed });
  printComparison(c, fmt);
  if (v.chart) await writeBoxChart(v.chart, metric.name, `${metric.name}: ${c.rows.map((r) => r.key).join(' vs ')}`, c.rows.map((r) => ({ key: r.key, d: r.summary })));
  return 0;
}

/** The most runs that overlapped in time. */
function peakConcurrency(spans: Array<[number, number]>): number {
  const ev = spans.flatMap(([a, b]) => [[a, 1], [b, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let cur = 0;
  let peak = 0;
  for (const [, d] of ev) { cur += d; peak = Math.max(peak, cur); }
  return Math.max(1, peak);
}

function printComparison(c: Comparison, fmt: Format): void {
  const head = ['rank', 'group', 'n', c.by, 'ratio', 'p_welch', 'p_mannwhitney', `median_diff_ci95`, 'wall_s', 'speedup', 'efficiency'];
  const rows = c.rows.map((r) => {
    const md = r.vsBest?.medianDiff;
    const ci = md ? (fmt === 'csv' ? `${md.low} ${md.high}` : `[${fmtNum(md.low)}, ${fmtNum(md.high)}]`) : '';
    return [String(r.rank), r.key, String(r.n), num(r.value, fmt), r.ratio === undefined ? '' : fmt === 'csv' ? String(r.ratio) : `${r.ratio.toFixed(3)}×`,
      fmt === 'csv' ? String(r.vsBest?.welchP ?? '') : pval(r.vsBest?.welchP), fmt === 'csv' ? String(r.vsBest?.mannWhitneyP ?? '') : pval(r.vsBest?.mannWhitneyP), ci,
      num(r.wallS, fmt), r.speedup ? num(r.speedup.speedup, fmt) : '', r.speedup ? num(r.speedup.efficiency, fmt) : ''];
  });
  emit(fmt, head, rows, c);
  if (fmt === 'table') {
    process.stdout.write(`\n${c.metric} (${c.goal}), ranked by ${c.by}; p-values and the bootstrap interval of the median difference are against the best.\n`);
    for (const r of c.rows) {
      const s = r.speedup;
      if (!s) continue;
      // Different amounts of work (a subset run locally): the ratio is of wall time per trial.
      const unit = s.perTrial ? ` per unit of work (wall time per trial; ${s.trials} trials against ${s.baselineTrials})` : '';
      process.stdout.write(`${r.key}: ${s.speedup.toFixed(2)}× faster than ${s.baseline}${unit} with ${s.workers} at once (efficiency ${(s.efficiency * 100).toFixed(0)}%${s.trialSpeedup !== undefined ? `, per trial ${s.trialSpeedup.toFixed(2)}×` : ''})\n`);
    }
  }
  for (const e of c.empty) process.stderr.write(`${e.key}: ${e.message}\n`);
}

export async function cmdReport(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, allowPositionals: true, options: {
    out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, resource: { type: 'string', multiple: true },
    mapping: { type: 'string' }, column: { type: 'string', multiple: true }, title: { type: 'string' }, json: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
  } });
  if (positionals.length > 1) throw new UsageError('report takes one CSV (default: job_summary.csv)');
  const file = positionals[0] ?? 'job_summary.csv';
  if (!positionals.length && !fs.existsSync(file)) throw new InputError('no job_summary.csv here: pass the CSV, e.g. `expctl report examples/campaign-report/job_summary.csv`');
  const outDir = v.out ?? 'reports';
  const resources = v.resource?.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean);
  for (const [flag, d] of [['--from', v.from], ['--to', v.to]] as const) {
    if (d !== undefined && Number.isNaN(Date.parse(d))) throw new UsageError(`${flag} takes a date like 2025-03-01 (got "${d}")`);
  }
  const mapping = v.mapping ?? 'auto';
  if (!['auto', 'htcondor', 'expctl-runs'].includes(mapping)) throw new UsageError(`--mapping takes auto, htcondor or expctl-runs (got "${mapping}")`);
  const columns: Partial<Record<Field, string>> = {};
  for (const c of v.column ?? []) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(c);
    if (!m || !(FIELDS as readonly string[]).includes(m[1])) throw new UsageError(`--column takes FIELD=Header with FIELD one of ${FIELDS.join(', ')} (got "${c}")`);
    columns[m[1] as Field] = m[2];
  }
  let report;
  try {
    report = campaignReport(readInput(file), {
      from: v.from, to: v.to, resources, title: v.title, mapping: mapping as 'auto' | 'htcondor' | 'expctl-runs', columns, maxProblems: v.verbose ? Infinity : 100,
    });
  } catch (e) {
    if (e instanceof ReportInputError) throw new InputError(`${file}: ${e.message}`);
    throw e;
  }
  const skipped = report.problems.total;
  for (const p of report.problems.shown.slice(0, v.verbose ? undefined : 5)) process.stderr.write(`${file}:${p.line}: ${p.column ? `${p.column}: ` : ''}${p.message}\n`);
  if (!v.verbose && skipped > 5) process.stderr.write(`${file}: ${skipped - 5} more problems (--verbose lists them all)\n`);
  const { renderChart } = await renderer();
  ensureDir('--out', outDir);
  const theme = createTheme({ mode: 'light' });
  const written: string[] = [];
  for (const c of reportCharts(report, theme)) {
    const f = path.join(outDir, `${c.name}.png`);
    writeFileAtomic(f, renderChart(c.config, { width: 1200, height: 700, scale: 2 }), false);
    written.push(path.basename(f));
  }
  writeFileAtomic(path.join(outDir, 'summary.md'), renderMarkdown(report), false);
  writeFileAtomic(path.join(outDir, 'summary.json'), `${JSON.stringify(report, null, 2)}\n`, false);
  if (v.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const s = report.source;
    process.stdout.write(`${report.summary.headline}\n`);
    for (const line of report.summary.insights) process.stdout.write(`  • ${line}\n`);
    for (const r of report.summary.recommendations.slice(0, v.verbose ? undefined : 5)) process.stdout.write(`  → ${r.text}\n`);
    process.stdout.write(`${s.rowsUsed} of ${s.rowsRead} rows used (${s.rowsSkipped} skipped, ${s.rowsFilteredOut} outside the filters); ` +
      `wrote ${outDir}/summary.md, summary.json and ${written.length} charts: ${written.join(', ')}\n`);
  }
  return 0;
}
