// Grouping runs for comparison: by any key path, one value per run and metric. Works on run records
// from the results store and on rows of a CSV (runs.csv or a user's job table) alike.
import type { RunRecord } from '../store/store';
import { describe, type Description, type DescribeOptions } from './describe';
import { StatsError } from './errors';
import type { Empty } from './sample';

/** How a run's metric series becomes one number; 'final' is the last reported value. */
export type Reduce = 'final' | 'min' | 'max' | 'mean';
const REDUCE_FIELD = { final: 'last', min: 'min', max: 'max', mean: 'mean' } as const;

/** A run record, or a CSV row (column → text) such as a line of runs.csv. */
export type GroupItem = RunRecord | Readonly<Record<string, string>>;

export interface GroupOptions {
  /**
   * Key path(s) to group by: `params.lr`, `target`, `sweep_id`, `tags.team`, `trial.name`, or a CSV
   * column. Looked up as: a property of that exact name (the runs.csv column `params.lr`, a column
   * `loss.last`); then, on a run, a swept parameter of that path (run.params is keyed by path:
   * {"params.lr": 0.01}); then by walking the dots through nested objects. On a run, the runs.csv
   * names of its fields work too: `repeat` (the repeat index), `run_id`, `trial_index`, `trial_name`, `trial_key`.
   */
  by: string | readonly string[];
  metrics: readonly string[];
  /** Default 'final'. */
  reduce?: Reduce;
  /** Key path of an item's id, used to name outliers; default `id` for runs, `run_id` for rows. */
  id?: string;
}

/**
 * Why an item has no value for a metric: none at all, a non-finite number (a diverged run reports
 * NaN), text, or — for min, max and mean — a run whose every report was NaN or ±Infinity.
 */
export type Exclusion = 'missing' | 'NaN' | 'Infinity' | '-Infinity' | 'not a number' | 'no finite value';

export interface MetricColumn {
  /**
   * One value per item of the group, NaN where the item has none (so ids stay aligned); pooled
   * (poolItems): every value the items reported, NaN for each non-finite one and for an item with none.
   */
  values: Float64Array;
  /** The item id of each value. */
  ids: string[];
  /** Values that are not finite numbers: one per item without a value, and (pooled) each non-finite report. */
  missing: number;
  /** Those items by why (only reasons that occur). */
  reasons: Partial<Record<Exclusion, number>>;
}

export interface Group {
  /** Display key: the value for one key path, `path=value, …` for several; `(none)` when absent. */
  key: string;
  /** The key value per path, as text (numbers and their CSV spelling group together). */
  values: (string | undefined)[];
  size: number;
  metrics: Record<string, MetricColumn>;
}

const NONE = '(none)';

function isRun(item: GroupItem): item is RunRecord {
  const s = (item as { summary?: unknown }).summary;
  return typeof s === 'object' && s !== null;
}

function own(o: object, k: string): unknown {
  return Object.hasOwn(o, k) ? (o as Record<string, unknown>)[k] : undefined;
}

/** A key path split once, not once per item. */
interface KeyPath {
  path: string;
  parts: string[];
  /** Where a runs.csv column name lives in a run record. */
  alias?: KeyPath;
}

/** runs.csv column → run record path, so a key means the same on the store and on its runs.csv. */
const RUN_ALIASES: Record<string, string> = { repeat: 'trial.repeat', run_id: 'id', trial_index: 'trial.index', trial_name: 'trial.name', trial_key: 'trial.key' };

function keyPath(path: string): KeyPath {
  const alias = Object.hasOwn(RUN_ALIASES, path) ? RUN_ALIASES[path] : undefined;
  return { path, parts: path.split('.'), ...(alias ? { alias: keyPath(alias) } : {}) };
}

function lookup(item: GroupItem, kp: KeyPath, run: boolean): unknown {
  let v = own(item, kp.path);
  const params = run ? (item as RunRecord).params : undefined;
  if (v === undefined && typeof params === 'object' && params !== null) v = own(params, kp.path);
  if (v !== undefined) return v;
  let cur: unknown = item;
  for (const part of kp.parts) cur = typeof cur === 'object' && cur !== null ? own(cur, part) : undefined;
  if (cur === undefined && run && kp.alias) return lookup(item, kp.alias, run);
  return cur;
}

/** The value at a key path; see GroupOptions.by. */
export function valueAt(item: GroupItem, path: string): unknown {
  return lookup(item, keyPath(path), isRun(item));
}

function keyText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const NON_FINITE_TEXT: Record<string, Exclusion> = { nan: 'NaN', infinity: 'Infinity', '+infinity': 'Infinity', inf: 'Infinity', '+inf': 'Infinity', '-infinity': '-Infinity', '-inf': '-Infinity' };

/**
 * A finite number from a summary field or a CSV cell, or why there is none. Run records spell
 * non-finite values "NaN", "Infinity", "-Infinity"; numpy and pandas write nan, inf, -inf.
 */
function toNumber(v: unknown): number | Exclusion {
  if (v === undefined || v === null) return 'missing';
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '') return 'missing';
    const named = Object.hasOwn(NON_FINITE_TEXT, t.toLowerCase()) ? NON_FINITE_TEXT[t.toLowerCase()] : undefined;
    if (named) return named;
    v = Number(t);
    if (Number.isNaN(v)) return 'not a number';
  }
  if (typeof v !== 'number') return 'not a number';
  return Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** Numbers in numeric order, then text; absent keys last. */
function compareKeys(a: (string | undefined)[], b: (string | undefined)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    const nx = Number(x);
    const ny = Number(y);
    if (!Number.isNaN(nx) && !Number.isNaN(ny) && nx !== ny) return nx - ny;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Which group each item is in (pass 1 of grouping): the key values per group, sizes, and item → group. */
interface Assignment { paths: KeyPath[]; keys: (string | undefined)[][]; sizes: number[]; of: Int32Array }

function assign(items: readonly GroupItem[], by: GroupOptions['by']): Assignment {
  const paths = (typeof by === 'string' ? [by] : [...by]).map(keyPath);
  if (paths.length === 0) throw new StatsError('invalid-argument', 'group by at least one key path');
  const index = new Map<string, number>();
  const keys: (string | undefined)[][] = [];
  const sizes: number[] = [];
  const of = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const run = isRun(items[i]);
    const vals = paths.map((p) => keyText(lookup(items[i], p, run)));
    const id = vals.length === 1 ? (vals[0] ?? '\u0000') : JSON.stringify(vals);
    let g = index.get(id);
    if (g === undefined) {
      g = keys.length;
      index.set(id, g);
      keys.push(vals);
      sizes.push(0);
    }
    of[i] = g;
    sizes[g]++;
  }
  return { paths, keys, sizes, of };
}

/** The groups of an assignment with their columns, in key order. */
function finish(a: Assignment, metrics: readonly string[], columns: MetricColumn[][]): Group[] {
  const groups: Group[] = a.keys.map((vals, g) => ({
    key: a.paths.length === 1 ? (vals[0] ?? NONE) : a.paths.map((p, j) => `${p.path}=${vals[j] ?? NONE}`).join(', '),
    values: vals,
    size: a.sizes[g],
    metrics: Object.fromEntries(metrics.map((m, j) => [m, columns[g][j]])),
  }));
  return groups.sort((x, y) => compareKeys(x.values, y.values));
}

function itemId(item: GroupItem, run: boolean, idPaths: { run: KeyPath; row: KeyPath }, i: number): string {
  return keyText(lookup(item, run ? idPaths.run : idPaths.row, run)) ?? String(i);
}

function exclude(col: MetricColumn, why: Exclusion): void {
  col.missing++;
  col.reasons[why] = (col.reasons[why] ?? 0) + 1;
}

/** Groups items by key path(s) and collects each metric per group; groups in key order. */
export function groupItems(items: readonly GroupItem[], options: GroupOptions): Group[] {
  const reduce = options.reduce ?? 'final';
  const field = REDUCE_FIELD[reduce];
  if (field === undefined) throw new StatsError('invalid-argument', `reduce must be final, min, max or mean (got '${String(reduce)}')`);
  const a = assign(items, options.by);
  const metrics = options.metrics.map((name) => ({ name, column: `${name}.${field}` }));
  const idPaths = { run: keyPath(options.id ?? 'id'), row: keyPath(options.id ?? 'run_id') };

  // Pass 2 fills exact-size arrays.
  const columns: MetricColumn[][] = a.sizes.map((size) => metrics.map(() => ({ values: new Float64Array(size), ids: new Array<string>(size), missing: 0, reasons: {} })));
  const fill = new Int32Array(a.sizes.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const run = isRun(item);
    const cols = columns[a.of[i]];
    const slot = fill[a.of[i]]++;
    const idv = itemId(item, run, idPaths, i);
    for (let m = 0; m < metrics.length; m++) {
      let v: number | Exclusion;
      if (run) {
        const s = own((item as RunRecord).summary, metrics[m].name) as Record<string, unknown> | undefined;
        v = toNumber(s?.[field]);
        if (v === 'missing' && s?.non_finite) v = 'no finite value';
      } else {
        v = toNumber(own(item, metrics[m].column) ?? own(item, metrics[m].name));
      }
      const col = cols[m];
      col.ids[slot] = idv;
      if (typeof v === 'number') col.values[slot] = v;
      else {
        col.values[slot] = NaN;
        exclude(col, v);
      }
    }
  }
  return finish(a, options.metrics, columns);
}

/**
 * Feeds every value an item reported for metric number `metric` (an index into the metrics) to `add`;
 * an array value adds each of its elements. A run's reports come from its metrics.jsonl — read by the
 * caller, since this folder does no I/O.
 */
export type Reported = (item: GroupItem, add: (metric: number, value: unknown) => void) => void;

/** A growable Float64Array: pooled groups do not know their size in advance. */
class Pool {
  values = new Float64Array(16);
  ids: string[] = [];
  n = 0;
  push(v: number, id: string): void {
    if (this.n === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.n++] = v;
    this.ids.push(id);
  }
}

/**
 * Like groupItems, but each group holds every value its items reported (`--reduce all`): per-request
 * latencies of every run of a cell, pooled. Memory is the values kept, 8 bytes and an id reference each.
 */
export function poolItems(items: readonly GroupItem[], options: Omit<GroupOptions, 'reduce'> & { reported: Reported }): Group[] {
  const a = assign(items, options.by);
  const idPaths = { run: keyPath(options.id ?? 'id'), row: keyPath(options.id ?? 'run_id') };
  const pools = a.sizes.map(() => options.metrics.map(() => ({ pool: new Pool(), col: { values: new Float64Array(0), ids: [] as string[], missing: 0, reasons: {} } as MetricColumn })));
  const seen = new Uint8Array(options.metrics.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const idv = itemId(item, isRun(item), idPaths, i);
    const cells = pools[a.of[i]];
    seen.fill(0);
    const one = (m: number, v: unknown) => {
      const x = toNumber(v);
      const c = cells[m];
      c.pool.push(typeof x === 'number' ? x : NaN, idv);
      if (typeof x !== 'number') exclude(c.col, x);
    };
    options.reported(item, (m, v) => {
      seen[m] = 1;
      if (Array.isArray(v)) for (const x of v) one(m, x);
      else one(m, v);
    });
    for (let m = 0; m < seen.length; m++) if (!seen[m]) one(m, undefined);
  }
  const columns = pools.map((g) => g.map(({ pool, col }) => ({ ...col, values: pool.values.subarray(0, pool.n), ids: pool.ids })));
  return finish(a, options.metrics, columns);
}

export interface GroupSummary {
  key: string;
  size: number;
  /** Items of the group without a value for the metric (they are also `excluded` in the summary). */
  missing: number;
  /** Those items by why. */
  reasons: MetricColumn['reasons'];
  summary: Description | Empty;
}

/** describe() of one metric in every group, outliers named by item id. */
export function summarizeGroups(groups: readonly Group[], metric: string, options: Omit<DescribeOptions, 'ids'> = {}): GroupSummary[] {
  return groups.map((g) => {
    const col = g.metrics[metric];
    if (!col) throw new StatsError('invalid-argument', `metric '${metric}' was not collected; pass it in GroupOptions.metrics`);
    const summary = describe(col.values, { ...options, ids: col.ids });
    if (summary.empty) summary.message = `no value of '${metric}' in ${g.size} item${g.size === 1 ? '' : 's'} of group ${g.key}`;
    return { key: g.key, size: g.size, missing: col.missing, reasons: col.reasons, summary };
  });
}
