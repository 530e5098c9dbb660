// `expctl stats`, `expctl compare` and `expctl report`: the numbers users used to get from pandas,
// scipy and seaborn, from the results store or any CSV with one row per run (or per job attempt).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { parseArgs } from 'node:util';
import { planFile } from '../../core/src/runner/runner';
import { kindFromFileName } from '../../core/src/schema/registry';
import { FileStore, storeDirFor } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { formatDiagnostic } from '../../core/src/diagnostic';
import { parseCsv } from '../../core/src/util/csv';
import { campaignTimes, compareGroups, groupItems, pairedComparison, poolItems, runSpans, summarizeGroups, valueAt } from '../../core/src/stats';
import type { Comparison, Description, Group, GroupItem, MetricColumn, Reduce, Reported } from '../../core/src/stats';
import { medianInPlace } from '../../core/src/stats/quantile';
import { closest } from '../../core/src/util/strings';
import { createTheme } from '../../core/src/charts';
import { chartGroup, ChartInputError, GROUP_CHART_KINDS, groupChartConfig, type ChartGroup, type GroupChartKind } from '../../core/src/charts/group';
import type { Point } from '../../core/src/charts/lines';
import type * as Png from '../../core/src/charts/png';
import { campaignReport, FIELDS, renderMarkdown, ReportInputError } from '../../core/src/report';
import type { Field } from '../../core/src/report';
import { reportCharts } from '../../core/src/report/charts';
import { writeFileAtomic } from '../../core/src/store/atomic';
import { csvTable } from '../../core/src/util/csv';
import { diskHost, ensureDir, InputError, readInput, resolveRunId, storeFrom, table, UsageError, whyNotWritable } from './common';
import { fmtNum } from './render';
import { asSummary, derive, ExpressionError, namesOf, parseDerivations, runLookup, type Derivation, type Outcome } from '../../core/src/stats/derive';

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
  /** A sweep's swept parameter paths (its runs' `params` keys): what stats and compare group by by default. */
  swept?: string[];
  /** Runs from the store: the folder of a run, for its metrics.jsonl (--reduce all). */
  runDir?: (id: string) => string;
  /** Trial keys of the runs that succeeded (a CSV: its trial_key column): which work a campaign's wall time did. */
  trialKeys?: string[];
}

const ALL = '\u0000all';

function sweepMeta(store: FileStore, id: string): { name?: string; metric?: Source['metric']; max_parallel?: number } {
  try { return JSON.parse(fs.readFileSync(path.join(store.sweepDir(id), 'sweep.json'), 'utf8')); } catch { return {}; }
}

function fromRuns(label: string, runs: RunRecord[], all: boolean, store: FileStore, meta: ReturnType<typeof sweepMeta> | undefined): Source {
  const spans = runSpans(runs);
  const done = runs.filter((r) => r.status === 'succeeded');
  const used = all ? runs : done;
  const swept = meta ? [...new Set(runs.flatMap((r) => Object.keys(r.params ?? {})))] : undefined;
  return {
    label, items: used, metric: meta?.metric, spans, maxParallel: meta?.max_parallel, done: done.length, left: runs.length - used.length,
    swept, runDir: (id) => store.runDir(id), trialKeys: done.map((r) => r.trial.key),
  };
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
  const spans = runSpans(rows);
  const keys = done.map((r) => r.trial_key).filter((k): k is string => !!k);
  return { label: path.basename(file).replace(/\.csv$/i, ''), items: used, spans, done: done.length, left: rows.length - used.length,
    ...(keys.length === done.length && keys.length ? { trialKeys: keys } : {}) };
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
      out.push(fromRuns(plan.name, runs, all, s, { ...sweepMeta(s, plan.sweepId), metric: plan.metric }));
      continue;
    }
    const sweepRuns = storeOf().all().filter((r) => r.sweep_id === arg);
    if (sweepRuns.length) {
      const meta = sweepMeta(storeOf(), arg);
      out.push(fromRuns(meta.name ?? arg, sweepRuns, all, storeOf(), meta));
    } else {
      runIds.push(resolveRunId(storeOf(), arg));
    }
  }
  if (runIds.length) {
    const runs = runIds.map((id) => store!.get(id)!);
    out.push(fromRuns(runIds.length === 1 ? runIds[0] : `${runIds.length} runs`, runs, all, store!, undefined));
  }
  return out;
}

/**
 * `--derive NAME=EXPR` (repeatable): a value per run or CSV row, computed as the runner computes
 * `metrics.derived` (core/src/stats/derive.ts), then analysed like any metric. Runs that get no
 * value are counted and said, with the reasons.
 */
function derivationsOf(flags: string[] | undefined): Derivation[] {
  try {
    return parseDerivations((flags ?? []).map((f) => {
      const eq = f.indexOf('=');
      if (eq <= 0) throw new UsageError(`--derive takes NAME=EXPRESSION, e.g. --derive 'tokens_per_joule=tokens / (energy_wh * 3600)' (got "${f}")`);
      return [f.slice(0, eq).trim(), f.slice(eq + 1)];
    }));
  } catch (e) {
    if (e instanceof ExpressionError) throw new UsageError(`--derive ${e.message}`);
    throw e;
  }
}

function applyDerive(sources: Source[], defs: Derivation[]): void {
  if (!defs.length) return;
  // Params beyond the swept ones are in each run's params.json: read only when an expression needs one.
  const readsParams = defs.some((d) => namesOf(d.expr).some((n) => n.name.startsWith('params.')));
  const failures = new Map<string, Map<string, number>>();
  let total = 0;
  const count = (name: string, o: Outcome) => {
    if (o.value !== undefined) return;
    const reasons = failures.get(name) ?? new Map<string, number>();
    reasons.set(o.reason, (reasons.get(o.reason) ?? 0) + 1);
    failures.set(name, reasons);
  };
  for (const s of sources) {
    total += s.items.length;
    s.items = s.items.map((it) => {
      const run = it as RunRecord;
      if (run.summary && typeof run.summary === 'object') {
        const copy = { ...run, summary: { ...run.summary } };
        const params = readsParams && s.runDir ? readParams(s.runDir(run.id)) : undefined;
        for (const [name, o] of derive(defs, runLookup(copy, params))) {
          count(name, o);
          if (o.value !== undefined) copy.summary[name] = asSummary(o.value);
        }
        return copy;
      }
      // A CSV row: names are columns (runs.csv's `loss.last` answers to `loss`).
      const row = { ...(it as Record<string, string>) };
      for (const [name, o] of derive(defs, (n) => valueOf(row, n))) {
        count(name, o);
        row[name] = o.value === undefined ? '' : String(o.value);
      }
      return row;
    });
  }
  for (const [name, reasons] of failures) {
    const n = [...reasons.values()].reduce((a, b) => a + b, 0);
    process.stderr.write(`--derive ${name}: no value for ${n} of ${total} runs (${[...reasons].map(([r, k]) => `${k} ${r}`).join(', ')})\n`);
  }
}

/** The value of a metric (or CSV column) of one run or row; undefined when it has none. */
function valueOf(it: GroupItem, name: string): number | undefined {
  const run = it as RunRecord;
  if (run.summary && typeof run.summary === 'object') return runLookup(run)(name);
  const row = it as Record<string, string>;
  const x = row[name] ?? row[`${name}.last`];
  return x === undefined || x.trim() === '' || !Number.isFinite(Number(x)) ? undefined : Number(x);
}

/** `--work METRIC`: Σ of the metric over a campaign's runs that succeeded; an error naming the campaign when none has it. */
function workOf(s: Source, metric: string): number {
  let sum = 0;
  let n = 0;
  for (const it of s.items) {
    const status = (it as { status?: string }).status;
    if (status !== undefined && !/^(succeeded|completed|success|ok)$/i.test(status)) continue;
    const x = valueOf(it, metric);
    if (x !== undefined) { sum += x; n++; }
  }
  if (!n) throw new InputError(`--work ${metric}: no run of ${s.label} reports it — ${available('metrics', metric, metricNames([s]))}`);
  return sum;
}

function readParams(dir: string): Record<string, unknown> | undefined {
  try { return JSON.parse(fs.readFileSync(path.join(dir, 'params.json'), 'utf8')) as Record<string, unknown>; } catch { return undefined; }
}

/** Metric names the sources have (summaries, CSV columns without their .last/.min… suffix), for error messages. */
function metricNames(sources: Source[]): string[] {
  const names = new Set<string>();
  for (const s of sources) {
    for (const it of s.items.slice(0, 200)) {
      const sum = (it as RunRecord).summary;
      for (const k of Object.keys(sum && typeof sum === 'object' ? sum : it)) names.add(k.replace(/\.(last|min|max|mean)$/, ''));
    }
  }
  return [...names];
}

/** Keys to group or pair by that the sources have: swept params, run fields by their runs.csv names, CSV columns. */
function keyNames(sources: Source[]): string[] {
  const names = new Set<string>();
  for (const s of sources) {
    for (const it of s.items.slice(0, 200)) {
      const run = it as RunRecord;
      if (run.summary && typeof run.summary === 'object') {
        for (const k of Object.keys(run.params ?? {})) names.add(k);
        for (const k of ['repeat', 'trial_name', 'experiment', 'sweep_id', 'target', 'status', 'host']) names.add(k);
      } else for (const k of Object.keys(it)) names.add(k);
    }
  }
  return [...names];
}

const available = (what: string, name: string, all: string[]) => {
  const near = closest(name, all);
  return `${near ? `did you mean ${near}? ` : ''}${all.length ? `available: ${all.slice(0, 20).join(', ')}${all.length > 20 ? `, … (${all.length - 20} more)` : ''}` : `no ${what} found`}`;
};

type Goal = 'minimize' | 'maximize';

function metricsOf(sources: Source[], given: string | undefined): Array<{ name: string; goal: Goal }> {
  const goalOf = (name: string) => sources.find((s) => s.metric?.name === name)?.metric?.goal ?? 'minimize';
  if (given !== undefined) {
    const names = [...new Set(given.split(',').map((x) => x.trim()).filter(Boolean))];
    if (!names.length) throw new UsageError('--metric takes one or more metric names separated by commas, e.g. --metric latency_s,throughput');
    return names.map((name) => ({ name, goal: goalOf(name) }));
  }
  const declared = sources.find((s) => s.metric)?.metric;
  if (declared) return [declared];
  const names = metricNames(sources);
  throw new UsageError(`which metric? pass --metric NAME${names.length ? ` (found: ${names.slice(0, 12).join(', ')})` : ''}`);
}

/** A list flag (`--group-by a,b`): trimmed names, or undefined when not given. */
function listOf(flag: string, v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const names = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (!names.length) throw new UsageError(`${flag} takes one or more key paths separated by commas, e.g. ${flag} params.batch_size`);
  return names;
}

/** A key path that no item of any source has is a mistake (a typo, `lr` for `params.lr`), not one group "(none)". */
function checkKeys(flag: string, sources: Source[], keys: readonly string[]): void {
  for (const k of keys) {
    if (sources.some((s) => s.items.some((it) => { const v = valueAt(it, k); return v !== undefined && v !== null && v !== ''; }))) continue;
    throw new InputError(`${flag} ${k}: no run has this key — ${available('keys', k, keyNames(sources))}`);
  }
}

/**
 * What to group by: --group-by, else a single sweep's swept parameters (each grid cell a group),
 * else nothing (each source one group).
 */
function groupKeysOf(sources: Source[], given: string | undefined, except: readonly string[] = []): string[] | undefined {
  const keys = listOf('--group-by', given);
  if (keys) { checkKeys('--group-by', sources, keys); return keys; }
  const swept = sources.length === 1 ? sources[0].swept?.filter((k) => !except.includes(k)) : undefined;
  if (!swept?.length) return undefined;
  process.stderr.write(`grouped by the sweep's swept parameters ${swept.join(', ')} (--group-by to choose)\n`);
  return swept;
}

/** One group of one source, every metric collected. */
interface Grouped { key: string; parts: (string | undefined)[]; size: number; metrics: Record<string, MetricColumn>; source: Source }

/** A run's reports of the given metrics, streamed from its metrics.jsonl: 1 MiB at a time, only the values kept. */
function readReports(file: string, index: ReadonlyMap<string, number>, add: (metric: number, value: unknown, step?: unknown) => void): void {
  let fd: number;
  try { fd = fs.openSync(file, 'r'); } catch { return; } // no reports: the run counts as missing
  try {
    const buf = Buffer.alloc(1 << 20);
    const dec = new StringDecoder('utf8');
    let rest = '';
    const line = (text: string) => {
      let rec: unknown;
      try { rec = JSON.parse(text); } catch { return; } // metrics.jsonl is written normalised; a torn last line is skipped
      if (!rec || typeof rec !== 'object') return;
      for (const [name, i] of index) if (Object.hasOwn(rec, name)) add(i, (rec as Record<string, unknown>)[name], (rec as Record<string, unknown>).step);
    };
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) {
      const lines = (rest + dec.write(buf.subarray(0, n))).split('\n');
      rest = lines.pop()!;
      for (const l of lines) if (l.trim()) line(l);
    }
    if ((rest + dec.end()).trim()) line(rest);
  } finally { fs.closeSync(fd); }
}

/** --reduce all: every value each item reported — a run's metrics.jsonl, or a CSV cell (a JSON list `[…]` gives each element). */
function reportedValues(s: Source, metrics: readonly string[]): Reported {
  const index = new Map(metrics.map((m, i) => [m, i]));
  return (item, add) => {
    const run = item as RunRecord;
    if (s.runDir && run.summary && typeof run.summary === 'object') {
      readReports(path.join(s.runDir(run.id), 'metrics.jsonl'), index, add);
      return;
    }
    const row = item as Record<string, string>;
    metrics.forEach((m, i) => {
      const cell = Object.hasOwn(row, m) ? row[m] : Object.hasOwn(row, `${m}.last`) ? row[`${m}.last`] : undefined;
      if (cell === undefined) return;
      if (/^\s*\[/.test(cell)) {
        try { add(i, JSON.parse(cell)); return; } catch { /* not a list after all: the text is counted as not a number */ }
      }
      add(i, cell);
    });
  };
}

type ReduceChoice = Reduce | 'all';

/**
 * The values of each metric per group of one source: one per run (its summary or CSV cell, reduced),
 * or with --reduce all every value each run reported. The one place per-run values are read — a
 * value source such as derived metrics plugs in here.
 */
function collect(s: Source, metrics: readonly string[], by: readonly string[] | undefined, reduce: ReduceChoice): Group[] {
  const keys = by ?? ALL;
  return reduce === 'all' ? poolItems(s.items, { by: keys, metrics, reported: reportedValues(s, metrics) }) : groupItems(s.items, { by: keys, metrics, reduce });
}

function group(sources: Source[], metrics: readonly string[], by: readonly string[] | undefined, reduce: ReduceChoice): Grouped[] {
  const out: Grouped[] = [];
  for (const s of sources) {
    if (!s.items.length) continue;
    for (const g of collect(s, metrics, by, reduce)) {
      const key = !by ? s.label : sources.length > 1 ? `${s.label} · ${g.key}` : g.key;
      out.push({ key, parts: g.values, size: g.size, metrics: g.metrics, source: s });
    }
  }
  // A metric no run reports at all is a typo or the wrong sweep, not a table of empty groups.
  for (const m of metrics) {
    if (!out.length || out.some((g) => { const c = g.metrics[m]; return c.values.length > c.missing || Object.keys(c.reasons).some((r) => r !== 'missing'); })) continue;
    const left = sources.reduce((n, s) => n + s.left, 0);
    throw new InputError(`--metric ${m}: no run reports this metric — ${available('metrics', m, metricNames(sources))}${left ? ` (${left} runs that did not succeed are left out; --all includes them)` : ''}`);
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
    const c = g.metrics[metric];
    if (!c.missing) continue;
    const why = Object.entries(c.reasons).map(([reason, n]) => `${n} ${reason}`).join(', ');
    process.stderr.write(`${g.key}: ${c.missing} value${c.missing === 1 ? '' : 's'} of ${metric} excluded (${why})\n`);
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
/** A p-value with its magnitude: a paired test's 7.5e-8 must not read as "<0.001". */
const pexact = (p: number | undefined, fmt: Format) => (p === undefined ? '' : fmt === 'csv' ? String(p) : p.toPrecision(2));

/**
 * The headless renderer, loaded on first use: it needs the native @napi-rs/canvas, which the
 * extension's copy of the CLI (for launching runs) does not carry.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load; esbuild bundles it behind a lazy initialiser
const renderer = async (): Promise<typeof Png> => require('../../core/src/charts/png') as typeof Png;

/** What --chart draws: the kind (--chart-type), and what line and scatter charts read per run. */
interface ChartSpec { kind: GroupChartKind; sources: Source[]; groupTitle: string; x?: string }

/** A group to draw: its description, and the run ids behind its values (line, scatter). */
interface Drawn { key: string; d: Description; ids?: readonly string[] }

/** Most points of one run's line: longer series are thinned evenly (the chart has ~1,000 pixels). */
const MAX_LINE_POINTS = 2000;

/** A chart of the groups in the chosen kind, written atomically (PNG or, by extension, SVG). */
async function writeChart(file: string, metric: string, title: string, groups: Drawn[], spec: ChartSpec): Promise<void> {
  const runs = new Map<string, { it: GroupItem; s: Source }>();
  if (spec.kind === 'line' || spec.kind === 'scatter') for (const s of spec.sources) for (const it of s.items) runs.set(String((it as RunRecord).id ?? (it as Record<string, string>).run_id), { it, s });
  const runsOf = (g: Drawn) => [...new Set(g.ids ?? [])].flatMap((id) => { const r = runs.get(id); return r ? [{ id, ...r }] : []; });
  const extra = (g: Drawn): Pick<ChartGroup, 'series' | 'points'> => {
    if (spec.kind === 'line') {
      return { series: runsOf(g).flatMap(({ id, it, s }) => {
        if (!s.runDir || !(it as RunRecord).summary) throw new InputError(`--chart-type line draws each run's reports from the store: ${s.label} is a CSV`);
        const points: Point[] = [];
        readReports(path.join(s.runDir(id), 'metrics.jsonl'), new Map([[metric, 0]]), (_, y, step) => {
          if (typeof y === 'number' && Number.isFinite(y)) points.push({ x: typeof step === 'number' ? step : points.length, y });
        });
        const every = Math.ceil(points.length / MAX_LINE_POINTS);
        return points.length ? [every > 1 ? points.filter((_, k) => k % every === 0) : points] : [];
      }) };
    }
    if (spec.kind === 'scatter') {
      const x = spec.x!;
      return { points: runsOf(g).flatMap(({ id, it }) => {
        const xv = valueOf(it, x);
        const yv = valueOf(it, metric);
        return xv === undefined || yv === undefined ? [] : [{ x: xv, y: yv, label: id }];
      }) };
    }
    return {};
  };
  let cfg;
  try {
    cfg = groupChartConfig(spec.kind, { title, metric, groupTitle: spec.groupTitle, xTitle: spec.x, groups: groups.map((g) => chartGroup(g.key, g.d, extra(g))) }, createTheme({ mode: 'light' }));
  } catch (e) {
    if (e instanceof ChartInputError) throw new InputError(`--chart-type ${spec.kind}: ${e.message}`);
    throw e;
  }
  const { renderChart } = await renderer();
  const svg = /\.svg$/i.test(file);
  ensureDir(`--chart ${file}: folder`, path.dirname(path.resolve(file)));
  try {
    writeFileAtomic(file, renderChart(cfg, { width: 1200, height: 700, format: svg ? 'svg' : 'png', scale: svg ? 1 : 2 }), false);
  } catch (e) {
    throw new InputError(`--chart ${file}: ${whyNotWritable(e)}`);
  }
  process.stderr.write(`chart: ${file}\n`);
}

/** --chart-type and --x, checked before anything is read. */
function chartSpecOf(v: { 'chart-type'?: string; x?: string; chart?: string }): Omit<ChartSpec, 'sources' | 'groupTitle'> {
  const kind = (v['chart-type'] ?? 'box') as GroupChartKind;
  if (!GROUP_CHART_KINDS.includes(kind)) throw new UsageError(`--chart-type takes ${GROUP_CHART_KINDS.join(', ')} (got "${v['chart-type']}")`);
  if ((v['chart-type'] || v.x) && !v.chart) throw new UsageError('--chart-type and --x go with --chart FILE.png');
  if (kind === 'scatter' && !v.x) throw new UsageError('--chart-type scatter needs --x KEY: a param (params.batch_size) or another metric for the x axis');
  return { kind, x: v.x };
}

/** With several metrics, one chart each: `box.png` → `box-latency_s.png`. */
function chartFile(file: string, metric: string, several: boolean): string {
  if (!several) return file;
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}-${metric.replace(/[^\w.-]+/g, '_')}${ext}`;
}

const common = {
  metric: { type: 'string' }, 'group-by': { type: 'string' }, reduce: { type: 'string' }, all: { type: 'boolean' },
  json: { type: 'boolean' }, csv: { type: 'boolean' }, md: { type: 'boolean' }, store: { type: 'string' }, chart: { type: 'string' },
  derive: { type: 'string', multiple: true }, 'chart-type': { type: 'string' }, x: { type: 'string' },
} as const;

function reduceOf(v: string | undefined): ReduceChoice {
  const r = v ?? 'final';
  if (!['final', 'min', 'max', 'mean', 'all'].includes(r)) throw new UsageError(`--reduce takes final, min, max, mean or all (got "${r}")`);
  return r as ReduceChoice;
}

/** A stats column: its header cells and their text for a group's description. */
interface Column { head: string[]; cells: (d: Description, fmt: Format, pooled: boolean) => string[] }

const COLUMNS: Record<string, Column> = {
  n: { head: ['n'], cells: (d) => [String(d.n)] },
  excluded: { head: ['excluded'], cells: (d) => [String(d.excluded)] },
  mean: { head: ['mean'], cells: (d, f) => [num(d.mean, f)] },
  std: { head: ['std'], cells: (d, f) => [num(d.std, f)] },
  var: { head: ['var'], cells: (d, f) => [num(d.variance, f)] },
  ci95: { head: ['ci95_low', 'ci95_high'], cells: (d, f) => [num(d.ci?.low, f), num(d.ci?.high, f)] },
  min: { head: ['min'], cells: (d, f) => [num(d.min, f)] },
  q1: { head: ['q1'], cells: (d, f) => [num(d.box.q1, f)] },
  median: { head: ['median'], cells: (d, f) => [num(d.box.median, f)] },
  q3: { head: ['q3'], cells: (d, f) => [num(d.box.q3, f)] },
  max: { head: ['max'], cells: (d, f) => [num(d.max, f)] },
  iqr: { head: ['iqr'], cells: (d, f) => [num(d.box.iqr, f)] },
  fences: { head: ['lower_fence', 'upper_fence'], cells: (d, f) => [num(d.box.lowerFence, f), num(d.box.upperFence, f)] },
  whiskers: { head: ['whisker_low', 'whisker_high'], cells: (d, f) => [num(d.box.whiskerLow, f), num(d.box.whiskerHigh, f)] },
  gmean: { head: ['gmean'], cells: (d, f) => [num(d.gmean, f)] },
  // Pooled values all carry their run's id: the count says more than a run id repeated.
  outliers: { head: ['outliers'], cells: (d, _f, pooled) => [pooled ? String(d.box.outliers.length) : d.box.outliers.map((o) => o.id ?? o.value).join(' ')] },
};
const DEFAULT_COLUMNS = ['n', 'excluded', 'mean', 'std', 'ci95', 'min', 'q1', 'median', 'q3', 'max', 'outliers'];

/** `--percentiles 50,90,99.9` → [50, 90, 99.9]. */
function percentilesOf(v: string | undefined): number[] {
  if (v === undefined) return [];
  return v.split(',').map((x) => x.trim()).filter(Boolean).map((x) => {
    const p = Number(x);
    if (!(x !== '' && p >= 0 && p <= 100)) throw new UsageError(`--percentiles takes numbers from 0 to 100 separated by commas, e.g. 50,90,95,99 (got "${x}")`);
    return p;
  });
}

/** The columns to print (--columns, default DEFAULT_COLUMNS) with the percentiles asked for; `pNN` is a percentile column. */
function columnsOf(given: string | undefined, percentiles: number[]): { names: string[]; percentiles: number[] } {
  const names = given === undefined ? [...DEFAULT_COLUMNS] : given.split(',').map((x) => x.trim()).filter(Boolean);
  const ps = [...percentiles];
  for (const c of names) {
    const m = /^p(\d+(?:\.\d+)?)$/.exec(c);
    if (m && Number(m[1]) <= 100) { if (!ps.includes(Number(m[1]))) ps.push(Number(m[1])); continue; }
    if (!Object.hasOwn(COLUMNS, c)) throw new UsageError(`--columns: unknown column "${c}" (choose from ${Object.keys(COLUMNS).join(', ')}, or pNN for a percentile such as p95)`);
  }
  const extra = percentiles.map((p) => `p${p}`).filter((c) => !names.includes(c));
  // By default percentiles go before the outliers (which can be a long list); after a chosen list, at its end.
  const at = given === undefined ? names.indexOf('outliers') : names.length;
  names.splice(at, 0, ...extra);
  return { names, percentiles: ps };
}

function column(name: string): Column {
  if (Object.hasOwn(COLUMNS, name)) return COLUMNS[name];
  const p = Number(name.slice(1));
  return { head: [name], cells: (d, f) => [num(d.quantiles.find((q) => q.q === p / 100)?.value, f)] };
}

export async function cmdStats(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, allowPositionals: true, options: { ...common, percentiles: { type: 'string' }, columns: { type: 'string' } } });
  if (!positionals.length) throw new UsageError('stats needs runs: a sweep file or id, run ids, or a CSV (e.g. `expctl stats grid.sweep.yaml --metric val_loss --group-by params.lr`)');
  const fmt = formatOf(v);
  const reduce = reduceOf(v.reduce);
  const cols = columnsOf(v.columns, percentilesOf(v.percentiles));
  const defs = derivationsOf(v.derive);
  const chart = chartSpecOf(v);
  const sources = loadSources(positionals, v.store, !!v.all);
  applyDerive(sources, defs);
  const metrics = metricsOf(sources, v.metric);
  const by = groupKeysOf(sources, v['group-by']);
  const groups = group(sources, metrics.map((m) => m.name), by, reduce);
  leftOutNote(sources);
  for (const m of metrics) excludedNote(groups, m.name);
  const several = metrics.length > 1;
  const summaries = metrics.flatMap((m) => groups.map((g) => ({
    metric: m.name,
    ...summarizeGroups([{ key: g.key, values: g.parts, size: g.size, metrics: g.metrics }], m.name, { quantiles: cols.percentiles.map((p) => p / 100) })[0],
  })));
  const chosen = cols.names.map(column);
  const head = [...(several ? ['metric'] : []), by?.join(',') ?? 'group', ...chosen.flatMap((c) => c.head)];
  const rows = summaries.map((s) => {
    const d = s.summary;
    const cells = d.empty
      ? cols.names.flatMap((c, i) => (c === 'n' ? ['0'] : c === 'excluded' ? [String(d.excluded)] : chosen[i].head.map(() => '')))
      : chosen.flatMap((c) => c.cells(d, fmt, reduce === 'all'));
    return [...(several ? [s.metric] : []), s.key, ...cells];
  });
  // JSON: one entry per metric × group; `metric` at the top too when there is one (as before several were possible).
  emit(fmt, head, rows, { ...(several ? {} : { metric: metrics[0].name }), metrics: metrics.map((m) => m.name), reduce, groups: summaries });
  for (const s of summaries) if (s.summary.empty) process.stderr.write(`${s.key}: ${s.summary.message}\n`);
  if (v.chart) {
    const spec: ChartSpec = { ...chart, sources, groupTitle: by?.join(', ') ?? '' };
    for (const m of metrics) {
      const drawn = summaries.flatMap((s, i): Drawn[] => (s.metric !== m.name || s.summary.empty ? [] : [{ key: s.key, d: s.summary, ids: groups[i % groups.length].metrics[m.name].ids }]));
      await writeChart(chartFile(v.chart, m.name, several), m.name, `${m.name} by ${by?.join(', ') ?? 'group'}`, drawn, spec);
    }
  }
  return 0;
}

export async function cmdCompare(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, allowPositionals: true, options: {
    ...common, by: { type: 'string' }, goal: { type: 'string' }, seed: { type: 'string' }, 'paired-by': { type: 'string' }, work: { type: 'string' },
  } });
  if (!positionals.length) throw new UsageError('compare needs two or more sweeps, run sets or CSVs — or one with --group-by');
  const fmt = formatOf(v);
  const reduce = reduceOf(v.reduce);
  if (v.goal && v.goal !== 'minimize' && v.goal !== 'maximize') throw new UsageError(`--goal takes minimize or maximize (got "${v.goal}")`);
  if (v.by && v.by !== 'median' && v.by !== 'mean') throw new UsageError(`--by takes median or mean (got "${v.by}")`);
  const seed = v.seed === undefined ? 1 : Number(v.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed takes a whole number (got "${v.seed}")`);
  const centre = (v.by as 'median' | 'mean' | undefined) ?? 'median';
  const defs = derivationsOf(v.derive);
  const chart = chartSpecOf(v);
  const sources = loadSources(positionals, v.store, !!v.all);
  applyDerive(sources, defs);
  const metrics = metricsOf(sources, v.metric).map((m) => ({ ...m, goal: (v.goal as Goal | undefined) ?? m.goal }));
  const pairedBy = listOf('--paired-by', v['paired-by']);
  if (pairedBy) {
    checkKeys('--paired-by', sources, pairedBy);
    const by = groupKeysOf(sources, v['group-by'], pairedBy);
    comparePaired(sources, metrics, by, pairedBy, reduce, { by: centre, seed, fmt });
    return 0;
  }
  const by = groupKeysOf(sources, v['group-by']);
  const groups = group(sources, metrics.map((m) => m.name), by, reduce);
  if (groups.length < 2) throw new UsageError(`compare needs at least two groups, got ${groups.length} (give more sources, or --group-by)`);
  leftOutNote(sources);
  for (const m of metrics) excludedNote(groups, m.name);
  if (v.work && by) throw new UsageError('--work compares whole campaigns: it does not go with --group-by');
  // Whole campaigns (no grouping): wall time from first start to last end, their parallelism, and
  // the work done in it — trials that succeeded, or Σ of the --work metric (speedup is per unit).
  const campaign = (s: Source) => {
    const times = by ? undefined : campaignTimes(s.spans);
    if (!times) return {};
    return { ...times, workers: s.maxParallel ?? peakConcurrency(s.spans), trials: s.done,
      trialKeys: s.trialKeys, ...(v.work ? { work: workOf(s, v.work) } : {}) };
  };
  const comparisons = metrics.map((m) => compareGroups(groups.map((g) => ({ key: g.key, values: g.metrics[m.name].values, ids: g.metrics[m.name].ids, ...campaign(g.source) })),
    { metric: m.name, goal: m.goal, by: centre, seed, work: v.work }));
  printComparisons(comparisons, fmt);
  if (v.chart) {
    const spec: ChartSpec = { ...chart, sources, groupTitle: by?.join(', ') ?? '' };
    const idsOf = (key: string, metric: string) => groups.find((g) => g.key === key)?.metrics[metric].ids;
    for (const c of comparisons) {
      // "a vs b" reads for two groups; more would be a line of group names, cut off.
      const vs = c.rows.map((r) => r.key).join(' vs ');
      const title = c.rows.length <= 2 && vs.length <= 80 ? `${c.metric}: ${vs}` : `${c.metric} by ${spec.groupTitle || 'group'}: ${c.rows.length} groups`;
      await writeChart(chartFile(v.chart, c.metric, comparisons.length > 1), c.metric, title,
        c.rows.map((r) => ({ key: r.key, d: r.summary, ids: idsOf(r.key, c.metric) })), spec);
    }
  }
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

function printComparisons(cs: Comparison[], fmt: Format): void {
  const several = cs.length > 1;
  const head = [...(several ? ['metric'] : []), 'rank', 'group', 'n', cs[0].by, 'ratio', 'p_welch', 'p_mannwhitney', `median_diff_ci95`, 'wall_s', 'speedup', 'efficiency'];
  const rows = cs.flatMap((c) => c.rows.map((r) => {
    const md = r.vsBest?.medianDiff;
    const ci = md ? (fmt === 'csv' ? `${md.low} ${md.high}` : `[${fmtNum(md.low)}, ${fmtNum(md.high)}]`) : '';
    return [...(several ? [c.metric] : []), String(r.rank), r.key, String(r.n), num(r.value, fmt), r.ratio === undefined ? '' : fmt === 'csv' ? String(r.ratio) : `${r.ratio.toFixed(3)}×`,
      fmt === 'csv' ? String(r.vsBest?.welchP ?? '') : pval(r.vsBest?.welchP), fmt === 'csv' ? String(r.vsBest?.mannWhitneyP ?? '') : pval(r.vsBest?.mannWhitneyP), ci,
      num(r.wallS, fmt), r.speedup ? num(r.speedup.speedup, fmt) : '', r.speedup ? num(r.speedup.efficiency, fmt) : ''];
  }));
  emit(fmt, head, rows, several ? { metrics: cs.map((c) => c.metric), comparisons: cs } : cs[0]);
  if (fmt === 'table') {
    for (const c of cs) process.stdout.write(`\n${c.metric} (${c.goal}), ranked by ${c.by}; p-values and the bootstrap interval of the median difference are against the best.\n`);
    for (const r of cs[0].rows) {
      if (r.noSpeedup) process.stdout.write(`${r.key}: ${r.noSpeedup}\n`);
      const s = r.speedup;
      if (!s) continue;
      // Different amounts of work (a subset run locally): the ratio is of wall time per trial, or per unit of --work.
      const unit = s.per ? ` per unit of ${s.per} (wall time per unit; ${fmtNum(s.trials!)} against ${fmtNum(s.baselineTrials!)})`
        : s.perTrial ? ` per unit of work (wall time per trial; ${s.trials} trials against ${s.baselineTrials})` : '';
      process.stdout.write(`${r.key}: ${s.speedup.toFixed(2)}× faster than ${s.baseline}${unit} with ${s.workers} at once (efficiency ${(s.efficiency * 100).toFixed(0)}%${s.trialSpeedup !== undefined ? `, per trial ${s.trialSpeedup.toFixed(2)}×` : ''})\n`);
    }
  }
  for (const c of cs) for (const e of c.empty) process.stderr.write(`${several ? `${c.metric}: ` : ''}${e.key}: ${e.message}\n`);
}

/** A group's key parts as text: the value for one path, `path=value, …` for several. */
const keyLabel = (paths: readonly string[], parts: readonly (string | undefined)[]) =>
  paths.length === 1 ? (parts[0] ?? '(none)') : paths.map((p, i) => `${p}=${parts[i] ?? '(none)'}`).join(', ');

/** The centre (median or mean) of a cell's finite values, NaN when it has none. */
function cellValue(values: Float64Array, by: 'median' | 'mean'): number {
  const finite = values.filter((x) => Number.isFinite(x));
  if (!finite.length) return NaN;
  if (by === 'mean') return finite.reduce((a, b) => a + b, 0) / finite.length;
  return medianInPlace(finite);
}

/**
 * `compare --paired-by`: exactly two groups, each cell (the paired keys' values) measured in both.
 * A cell with several runs (repeats) counts with the centre of its values (--by).
 */
function comparePaired(sources: Source[], metrics: Array<{ name: string; goal: Goal }>, by: string[] | undefined, pairedBy: string[], reduce: ReduceChoice,
  o: { by: 'median' | 'mean'; seed: number; fmt: Format }): void {
  const names = metrics.map((m) => m.name);
  // Group by the group keys and the paired keys at once, then split each key into side and cell.
  const cells = group(sources, names, [...(by ?? []), ...pairedBy], reduce);
  const sides = new Map<string, Map<string, Grouped>>();
  const nBy = by?.length ?? 0;
  for (const g of cells) {
    const side = !by ? g.source.label : sources.length > 1 ? `${g.source.label} · ${keyLabel(by, g.parts.slice(0, nBy))}` : keyLabel(by, g.parts.slice(0, nBy));
    const cell = keyLabel(pairedBy, g.parts.slice(nBy));
    if (!sides.has(side)) sides.set(side, new Map());
    sides.get(side)!.set(cell, g);
  }
  if (sides.size !== 2) {
    throw new UsageError(`--paired-by compares exactly two groups, got ${sides.size}${sides.size ? ` (${[...sides.keys()].slice(0, 6).join('; ')})` : ''}: give two sources, or a --group-by with two values`);
  }
  leftOutNote(sources);
  const [[a, cellsA], [b, cellsB]] = [...sides];
  const both = [...cellsA.keys()].filter((k) => cellsB.has(k));
  const onlyA = [...cellsA.keys()].filter((k) => !cellsB.has(k));
  const onlyB = [...cellsB.keys()].filter((k) => !cellsA.has(k));
  if (onlyA.length) process.stderr.write(`${onlyA.length} cell${onlyA.length === 1 ? '' : 's'} only in ${a}, left out: ${onlyA.slice(0, 5).join('; ')}${onlyA.length > 5 ? '; …' : ''}\n`);
  if (onlyB.length) process.stderr.write(`${onlyB.length} cell${onlyB.length === 1 ? '' : 's'} only in ${b}, left out: ${onlyB.slice(0, 5).join('; ')}${onlyB.length > 5 ? '; …' : ''}\n`);
  if (!both.length) throw new InputError(`--paired-by ${pairedBy.join(',')}: no cell is in both ${a} and ${b} — nothing to pair`);
  const results = metrics.map((m) => {
    const va = both.map((k) => cellValue(cellsA.get(k)!.metrics[m.name].values, o.by));
    const vb = both.map((k) => cellValue(cellsB.get(k)!.metrics[m.name].values, o.by));
    return { metric: m.name, goal: m.goal, result: pairedComparison(va, vb, { goal: m.goal, seed: o.seed }) };
  });
  const fmt = o.fmt;
  const head = ['metric', 'a', 'b', 'pairs', 'wins', 'ties', 'losses', 'median_diff', 'median_diff_ci95', 'p_wilcoxon', 'wilcoxon_method', 'p_ttest', 'only_a', 'only_b'];
  const rows = results.map(({ metric, result: r }) => {
    if (r.empty) return [metric, a, b, '0', '', '', '', '', '', '', '', '', String(onlyA.length), String(onlyB.length)];
    const md = r.medianDiff;
    return [metric, a, b, String(r.n), String(r.wins), String(r.ties), String(r.losses), num(md.observed, fmt),
      fmt === 'csv' ? `${md.low} ${md.high}` : `[${fmtNum(md.low)}, ${fmtNum(md.high)}]`,
      pexact(r.wilcoxon.p, fmt), r.wilcoxon.method, pexact(r.t.p, fmt), String(onlyA.length), String(onlyB.length)];
  });
  emit(fmt, head, rows, {
    a, b, pairedBy, by: o.by, reduce, onlyA, onlyB,
    results: results.map(({ metric, goal, result }) => ({ metric, goal, ...result })),
  });
  for (const { metric, goal, result: r } of results) {
    if (r.empty) { process.stderr.write(`${metric}: ${r.message}\n`); continue; }
    if (r.excluded) process.stderr.write(`${metric}: ${r.excluded} paired cell${r.excluded === 1 ? '' : 's'} without a value on one side left out\n`);
    for (const why of [r.wilcoxon.reason, r.t.reason]) if (why) process.stderr.write(`${metric}: ${why}: no p-value\n`);
    if (fmt !== 'table') continue;
    const better = goal === 'minimize' ? 'lower' : 'higher';
    process.stdout.write(`\n${metric} (${goal}): ${a} ${better} than ${b} in ${r.wins} of ${r.n} paired cells (${pairedBy.join(', ')}), ` +
      `tied in ${r.ties}, ${goal === 'minimize' ? 'higher' : 'lower'} in ${r.losses}; median difference ${a} − ${b} ${fmtNum(r.medianDiff.observed)} ` +
      `[${fmtNum(r.medianDiff.low)}, ${fmtNum(r.medianDiff.high)}] (95% bootstrap, seed ${r.medianDiff.seed}); ` +
      `Wilcoxon signed-rank p = ${pexact(r.wilcoxon.p, fmt) || 'n/a'} (${r.wilcoxon.method}), paired t p = ${pexact(r.t.p, fmt) || 'n/a'}\n`);
  }
}

export async function cmdReport(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, allowPositionals: true, options: {
    out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, resource: { type: 'string', multiple: true },
    mapping: { type: 'string' }, column: { type: 'string', multiple: true }, title: { type: 'string' }, json: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' }, derive: { type: 'string', multiple: true },
  } });
  const derive = derivationsOf(v.derive);
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
      from: v.from, to: v.to, resources, title: v.title, mapping: mapping as 'auto' | 'htcondor' | 'expctl-runs', columns, maxProblems: v.verbose ? Infinity : 100, derive,
    });
  } catch (e) {
    if (e instanceof ReportInputError) throw new InputError(`${file}: ${e.message}`);
    throw e;
  }
  const skipped = report.problems.total;
  for (const p of report.problems.shown.slice(0, v.verbose ? undefined : 5)) process.stderr.write(`${file}:${p.line}: ${p.column ? `${p.column}: ` : ''}${p.message}\n`);
  if (!v.verbose && skipped > 5) process.stderr.write(`${file}: ${skipped - 5} more problems (--verbose lists them all)\n`);
  for (const d of report.derived ?? []) {
    if (d.missing) process.stderr.write(`--derive ${d.name}: no value for ${d.missing} of ${report.source.rowsUsed} attempts (${Object.entries(d.reasons).map(([r, k]) => `${k} ${r}`).join(', ')})\n`);
  }
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
