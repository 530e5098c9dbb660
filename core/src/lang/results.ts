// Results inline in the YAML (issue 16 item 5): once a sweep's runs are in the store, beside each
// swept value its trials' primary metric (median and n, the best value of each parameter starred),
// on hover the runs behind a value, a list trial or a `name:` (with links to their panels), and on
// an experiment file the outcome of its last run beside `name:`. Pure: the language server gives
// the document, the runs of its sweep (from the store's incremental reader) and the time.
import type { Node } from 'yaml';
import { isMap, isScalar, isSeq } from 'yaml';
import type { Position, Range } from '../diagnostic';
import type { Experiment, Goal, Sweep } from '../config/types';
import type { Validation, ValidatedDoc } from '../validate';
import type { RunRecord } from '../store/store';
import { latestByTrial, runName, sweepIdFor } from '../store/store';
import { sweepIdOf, sweptKeysOf } from '../runner/resume';
import { finiteValue } from '../runner/metrics';
import { canonicalJson } from '../sweep/expand';
import { medianInPlace } from '../stats/quantile';
import { formatDuration, formatNumber } from '../util/units';
import { at, hasOwn, isObj, own } from '../util/object';
import { yamlScalar } from '../util/yaml-scalar';
import { plural } from '../rules/experiment/common';
import { locate, nodeSpan, pathAt, toPosition, toRange } from '../yaml/document';

/** What a file's results are: where its runs are in the store, and the metric that ranks them. */
export interface ResultsTarget {
  kind: 'sweep' | 'experiment';
  /** Sweep ids its runs are stored under: the current one, then the one older versions used (the file's path hashed). */
  sweepIds: string[];
  /** The sweep's `metric:`, else the experiment's `metrics.primary` (as the runner ranks runs). */
  metric?: { name: string; goal: Goal };
}

export interface ResultsOptions {
  /** Milliseconds since the epoch: "3m12s ago". */
  now: number;
  /** Whether run ids become `command:expctl.openRun` links (the editor runs command links from our hovers). */
  commandLinks: boolean;
  /** A queued or running run whose runner is gone (it shows as interrupted), where the caller can tell. */
  orphaned?: (r: RunRecord) => boolean;
}

export interface ResultHint {
  position: Position;
  label: string;
  tooltip: string;
  /** The label says how long ago something happened (`3m12s ago`): it goes stale with time alone. */
  aged?: boolean;
}
export interface ResultHover { markdown: string; range?: Range }

/** The command that opens a run's panel (package.json contributes.commands). */
export const OPEN_RUN_COMMAND = 'expctl.openRun';
/** Rows a hover lists at most; it says how many more there are. */
export const HOVER_ROWS = 15;

/** The store ids and metric of a sweep or experiment file; undefined for other files, or one whose experiment is unknown. */
export function resultsTarget(v: Validation): ResultsTarget | undefined {
  const vd = v.docs[0];
  const cfg = vd?.config;
  if (!vd || !isObj(cfg)) return undefined;
  if (vd.kind === 'experiment') {
    const exp = cfg as unknown as Experiment;
    if (typeof exp.name !== 'string' || !exp.name) return undefined;
    return { kind: 'experiment', sweepIds: [sweepIdOf('experiment', cfg, exp.name), sweepIdFor(runName('experiment', cfg, v.file), v.file)], metric: metricOf(undefined, exp) };
  }
  if (vd.kind === 'sweep') {
    const exp = vd.experiment;
    if (!exp || typeof exp.name !== 'string' || !exp.name) return undefined;
    const sweep = cfg as unknown as Sweep;
    return { kind: 'sweep', sweepIds: [sweepIdOf('sweep', cfg, exp.name, sweptKeysOf(sweep)), sweepIdFor(runName('sweep', cfg, v.file), v.file)], metric: metricOf(sweep.metric, exp) };
  }
  return undefined;
}

/** As the runner's primaryMetric (core/src/runner/runner.ts): the sweep's metric, else metrics.primary; minimize unless told. */
function metricOf(m: unknown, e: Experiment): ResultsTarget['metric'] {
  const sm = isObj(m) ? m : undefined;
  const name = typeof sm?.name === 'string' ? sm.name : typeof e.metrics?.primary === 'string' ? e.metrics.primary : undefined;
  if (!name) return undefined;
  const goal = sm?.goal ?? e.metrics?.goal;
  return { name, goal: goal === 'maximize' ? 'maximize' : 'minimize' };
}

// ---------------------------------------------------------------------------------------------
// What the trials with a value did

/** The newest runs of the trials a value (or a list entry) selects, and what they add up to. */
interface Group {
  runs: RunRecord[];
  /** Primary metric values of those that succeeded with a finite one. */
  values: number[];
  median?: number;
  running: number;
  failed: number;
  /** Ended without a usable value: succeeded without the metric (or NaN), cancelled, interrupted. */
  other: number;
}

function group(runs: RunRecord[], metric: ResultsTarget['metric'], o: ResultsOptions): Group {
  const g: Group = { runs, values: [], running: 0, failed: 0, other: 0 };
  for (const r of runs) {
    const st = statusOf(r, o);
    const v = metric && st === 'succeeded' ? finiteValue(lastValue(r, metric.name)) : undefined;
    if (v !== undefined) g.values.push(v);
    else if (st === 'running' || st === 'queued') g.running++;
    else if (st === 'failed') g.failed++;
    else g.other++;
  }
  if (g.values.length) g.median = medianInPlace(Float64Array.from(g.values));
  return g;
}

/** A run's last reported value of a metric (a number, or NaN / Infinity as text), if any. */
const lastValue = (r: RunRecord, name: string): unknown => (own(r.summary, name) as { last?: unknown } | undefined)?.last;

const statusOf = (r: RunRecord, o: ResultsOptions): RunRecord['status'] =>
  (r.status === 'running' || r.status === 'queued') && o.orphaned?.(r) ? 'interrupted' : r.status;

const better = (goal: Goal, a: number, b: number) => (goal === 'maximize' ? a > b : a < b);

/** Marks the best group (by median) when at least two have one: a lone result is no ranking. */
function bestOf(groups: Group[], metric: ResultsTarget['metric']): Group | undefined {
  const ranked = groups.filter((g) => g.median !== undefined);
  if (!metric || ranked.length < 2) return undefined;
  return ranked.reduce((a, b) => (better(metric.goal, b.median!, a.median!) ? b : a));
}

/** The trials a sweep file selects as written: the newest run of each trial whose swept values are all still in it. */
interface Selection {
  doc: ValidatedDoc;
  latest: RunRecord[];
  /** Trials of the sweep id whose values the file no longer has (not counted). */
  dropped: number;
  /** Per parameter with a values list: its value nodes and their canonical JSON. */
  lists: Map<string, Array<{ node: Node; key: string; value: unknown }>>;
}

function select(v: Validation, runs: readonly RunRecord[]): Selection | undefined {
  const doc = v.docs[0];
  const yd = v.parsed.docs[0];
  const ydoc = yd?.doc;
  if (!doc || !ydoc) return undefined;
  const lists = new Map<string, Array<{ node: Node; key: string; value: unknown }>>();
  const params = locate(ydoc, ['parameters']).value;
  if (isMap(params)) {
    for (const pair of params.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
      const values = name !== undefined && isMap(pair.value) ? pair.value.get('values', true) : undefined;
      if (name === undefined || !isSeq(values)) continue;
      // Plain values from the parsed document (aliases resolved), nodes for where the hints go.
      lists.set(name, values.items.map((node, i) => {
        const value = at(yd.value, 'parameters', name, 'values', i);
        return { node: node as Node, key: canonicalJson(value), value };
      }));
    }
  }
  const allowed = new Map([...lists].map(([p, xs]) => [p, new Set(xs.map((x) => x.key))]));
  let dropped = 0;
  const latest: RunRecord[] = [];
  for (const r of latestByTrial(runs).values()) {
    const current = [...allowed].every(([p, keys]) => hasOwn(r.params, p) && keys.has(canonicalJson(r.params[p])));
    if (current) latest.push(r);
    else dropped++;
  }
  return { doc, latest, dropped, lists };
}

// ---------------------------------------------------------------------------------------------
// Inlay hints

/** Hints for a sweep or experiment file whose runs (of `target.sweepIds`) are `runs`. */
export function resultHints(v: Validation, target: ResultsTarget, runs: readonly RunRecord[], o: ResultsOptions): ResultHint[] {
  if (!runs.length) return [];
  return target.kind === 'experiment' ? experimentHints(v, target, runs, o) : sweepHints(v, target, runs, o);
}

function sweepHints(v: Validation, target: ResultsTarget, runs: readonly RunRecord[], o: ResultsOptions): ResultHint[] {
  const sel = select(v, runs);
  if (!sel || !sel.latest.length) return [];
  const ydoc = v.parsed.docs[0].doc;
  const metric = target.metric;
  const out: ResultHint[] = [];
  if (!metric) {
    // Nothing to rank by: one hint says so, instead of a count beside every value.
    const anchor = locate(ydoc, ['parameters']).key ?? locate(ydoc, ['trials']).key;
    if (anchor) out.push({ position: endOfLine(v, anchor, true), label: `▸ ${plural(sel.latest.length, 'trial')} ran — no metric to show`, tooltip: 'Set `metric: { name, goal }` in the sweep or `metrics: { primary, goal }` in its experiment to see each value\'s results here.' });
    return out;
  }
  for (const [param, items] of sel.lists) {
    const byKey = new Map<string, RunRecord[]>();
    for (const r of sel.latest) {
      const k = canonicalJson(r.params[param]);
      const list = byKey.get(k);
      if (list) list.push(r); else byKey.set(k, [r]);
    }
    const groups = items.map((it) => group(byKey.get(it.key) ?? [], metric, o));
    const best = bestOf(groups, metric);
    items.forEach((it, i) => {
      const g = groups[i];
      if (!g.runs.length) return;
      out.push({ position: endOfLine(v, it.node), label: hintLabel(g, g === best), tooltip: hintTooltip(`${param} = ${yamlScalar(it.value)}`, g, metric, g === best) });
    });
  }
  // method: list — each entry is one combination (times its repeats).
  const trials = locate(ydoc, ['trials']).value;
  if (isSeq(trials)) {
    const entries = trials.items.map((node, i) => ({ node: node as Node, value: at(v.parsed.docs[0].value, 'trials', i) }));
    const groups = entries.map((e) => group(isObj(e.value) ? sel.latest.filter((r) => matches(r, e.value as Record<string, unknown>)) : [], metric, o));
    const best = bestOf(groups, metric);
    entries.forEach((e, i) => {
      const g = groups[i];
      if (!g.runs.length) return;
      out.push({ position: endOfLine(v, e.node), label: hintLabel(g, g === best), tooltip: hintTooltip(`trial ${i + 1}`, g, metric, g === best) });
    });
  }
  // Parameters without a values list (range, distributions): the best trial's value beside the parameter.
  const params = locate(ydoc, ['parameters']).value;
  if (isMap(params)) {
    const ranked = group(sel.latest, metric, o);
    const bestRun = bestRunOf(sel.latest, metric, o);
    for (const pair of params.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (name === undefined || sel.lists.has(name) || !bestRun || !hasOwn(bestRun.run.params, name) || !pair.key) continue;
      if (isMap(pair.value) && pair.value.has('value')) continue; // one fixed value: nothing to compare
      out.push({ position: endOfLine(v, pair.key as Node, true), label: `▸ best ${yamlScalar(bestRun.run.params[name])} → ${formatNumber(bestRun.value)} ★`,
        tooltip: `${metric.name} (${metric.goal}): the best of ${plural(ranked.values.length, 'trial')} with a result is ${bestRun.run.trial.name} (${bestRun.run.id}), ${name} = ${yamlScalar(bestRun.run.params[name])}.` });
    }
  }
  return out.sort((a, b) => a.position.line - b.position.line || a.position.character - b.position.character);
}

function matches(r: RunRecord, entry: Record<string, unknown>): boolean {
  return Object.keys(entry).every((k) => hasOwn(r.params, k) && canonicalJson(r.params[k]) === canonicalJson(entry[k]));
}

function bestRunOf(runs: RunRecord[], metric: NonNullable<ResultsTarget['metric']>, o: ResultsOptions): { run: RunRecord; value: number } | undefined {
  let best: { run: RunRecord; value: number } | undefined;
  for (const r of runs) {
    const v = statusOf(r, o) === 'succeeded' ? finiteValue(lastValue(r, metric.name)) : undefined;
    if (v !== undefined && (!best || better(metric.goal, v, best.value))) best = { run: r, value: v };
  }
  return best;
}

/** `▸ 0.412 (n=6)`, `▸ 0.389 (n=6, 2 running) ★`, `▸ — (3 failed)`. */
function hintLabel(g: Group, best: boolean): string {
  const extra = [g.failed && `${g.failed} failed`, g.running && `${g.running} running`, !g.values.length && g.other && `${g.other} without a value`].filter(Boolean) as string[];
  if (g.median === undefined) return `▸ — (${extra.join(', ')})`;
  return `▸ ${formatNumber(g.median)} (n=${g.values.length}${extra.length ? `, ${extra.join(', ')}` : ''})${best ? ' ★' : ''}`;
}

function hintTooltip(what: string, g: Group, metric: NonNullable<ResultsTarget['metric']>, best: boolean): string {
  const lines = [`${what}: ${metric.name} (${metric.goal})`];
  if (g.values.length) {
    const min = Math.min(...g.values);
    const max = Math.max(...g.values);
    lines.push(`median ${formatNumber(g.median!)} of ${plural(g.values.length, 'trial')} that succeeded${g.values.length > 1 ? ` (min ${formatNumber(min)}, max ${formatNumber(max)})` : ''}${best ? ' — the best of this parameter' : ''}`);
  }
  if (g.running) lines.push(`${g.running} queued or running`);
  if (g.failed) lines.push(`${g.failed} failed`);
  if (g.other) lines.push(`${g.other} without a value of ${metric.name} (cancelled, interrupted, or never reported it)`);
  lines.push('Hover the value for its runs.');
  return lines.join('\n');
}

function experimentHints(v: Validation, target: ResultsTarget, runs: readonly RunRecord[], o: ResultsOptions): ResultHint[] {
  const ydoc = v.parsed.docs[0]?.doc;
  if (!ydoc) return [];
  const last = newest(runs);
  const name = locate(ydoc, ['name']);
  const anchor = name.value ?? name.key ?? (isMap(ydoc.contents) ? ydoc.contents.items[0]?.key as Node | undefined : undefined);
  if (!anchor) return [];
  const label = outcome(last, target.metric, o);
  const aged = / ago( ·|$)/.test(label);
  const tooltip = [`Last run: ${last.id} (${last.trial.name})`, `created ${last.created}${last.ended ? `, ended ${last.ended}` : ''}`,
    `${plural(runs.length, 'run')} of this experiment in the store. Hover the name for them.`].join('\n');
  return [{ position: endOfLine(v, anchor, anchor !== name.value), label, tooltip, ...(aged ? { aged } : {}) }];
}

/** `✓ succeeded 3m12s ago · loss 0.41`, `✗ failed (exit 3) 5m ago`, `⟳ running (attempt 2)`. */
function outcome(r: RunRecord, metric: ResultsTarget['metric'], o: ResultsOptions): string {
  const st = statusOf(r, o);
  const last = r.attempts.at(-1);
  const when = r.ended ?? last?.ended;
  const ago = when ? ` ${agoText(o.now - Date.parse(when))} ago` : '';
  switch (st) {
    case 'succeeded': {
      const v = metric ? lastValue(r, metric.name) : undefined;
      const shown = typeof v === 'number' ? formatNumber(v) : typeof v === 'string' ? v : undefined;
      return `✓ succeeded${ago}${metric ? ` · ${metric.name} ${shown ?? '(not reported)'}` : ''}`;
    }
    case 'failed': return `✗ failed (${failureText(r)})${ago}`;
    case 'running': return `⟳ running${r.attempts.length > 1 ? ` (attempt ${r.attempts.length})` : ''}`;
    case 'queued': return '⋯ queued';
    case 'cancelled': return `■ cancelled${ago}`;
    case 'interrupted': return `⚠ interrupted${ago || ' (its runner is gone)'}`;
  }
}

function failureText(r: RunRecord): string {
  const a = r.attempts.at(-1);
  if (typeof a?.exit_code === 'number') return `exit ${a.exit_code}`;
  if (a?.signal) return a.signal;
  return a?.failure_class ?? 'no attempt ended';
}

/** `3m12s`, `2h5m`, `3d4h`: the two largest units. */
function agoText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s === 0) return '0s';
  return (formatDuration(s).match(/\d+[dhms]/g) ?? []).slice(0, 2).join('');
}

// ---------------------------------------------------------------------------------------------
// Hover

/** The runs behind what is under the cursor: a swept value, a list trial, or the file's `name:`. */
export function resultHover(v: Validation, offset: number, target: ResultsTarget, runs: readonly RunRecord[], o: ResultsOptions): ResultHover | undefined {
  if (!runs.length) return undefined;
  const ydoc = v.parsed.docs[0]?.doc;
  if (!ydoc || (v.parsed.docs[1]?.doc.range?.[0] ?? Infinity) <= offset) return undefined;
  const cur = pathAt(ydoc, offset);
  const p = cur.path;
  const metric = target.metric;
  const rangeOf = (n: Node | null | undefined) => { const s = nodeSpan(n); return s ? toRange(v.parsed.lines, s[0], s[1]) : undefined; };

  if (p.length === 1 && p[0] === 'name') {
    const sorted = [...runs].sort((a, b) => cmp(b.created, a.created));
    const head = target.kind === 'experiment' ? `**Runs of this experiment** — ${plural(runs.length, 'run')}, newest first` : `**Runs of this sweep** — ${plural(runs.length, 'run')}, newest first`;
    return { markdown: [head, '', table(sorted, metric, o)].join('\n'), range: rangeOf(cur.node) };
  }
  if (target.kind !== 'sweep') return undefined;
  const sel = select(v, runs);
  if (!sel) return undefined;
  if (p.length === 1 && p[0] === 'name_template') {
    // The trials' names: the newest run of each trial, best first.
    return { markdown: groupMarkdown(`**Trials of this sweep** — ${plural(sel.latest.length, 'trial')} with runs, best first`, sel.latest, sel, metric, o), range: rangeOf(cur.node) };
  }
  if (p.length === 4 && p[0] === 'parameters' && p[2] === 'values' && typeof p[3] === 'number' && !cur.inKey) {
    const item = sel.lists.get(String(p[1]))?.[p[3]];
    if (!item) return undefined;
    const param = String(p[1]);
    const mine = sel.latest.filter((r) => canonicalJson(r.params[param]) === item.key);
    return { markdown: groupMarkdown(`**Results of \`${param}\` = \`${yamlScalar(item.value)}\`**`, mine, sel, metric, o), range: rangeOf(item.node) };
  }
  if (p.length >= 2 && p[0] === 'trials' && typeof p[1] === 'number') {
    const entry = at(v.parsed.docs[0].value, 'trials', p[1]);
    if (!isObj(entry)) return undefined;
    const mine = sel.latest.filter((r) => matches(r, entry));
    return { markdown: groupMarkdown(`**Results of trial ${p[1] + 1}**`, mine, sel, metric, o), range: rangeOf(cur.node) };
  }
  return undefined;
}

function groupMarkdown(heading: string, mine: RunRecord[], sel: Selection, metric: ResultsTarget['metric'], o: ResultsOptions): string {
  const g = group(mine, metric, o);
  const lines = [heading];
  if (!mine.length) lines.push('', 'No run yet.');
  else {
    if (metric) lines.push('', g.median !== undefined
      ? `${metric.name} (${metric.goal}): median ${formatNumber(g.median)} of ${plural(g.values.length, 'trial')}`
      : `${metric.name} (${metric.goal}): no value yet`);
    // Best first (by the metric), then the newest.
    const value = (r: RunRecord) => (metric && statusOf(r, o) === 'succeeded' ? finiteValue(lastValue(r, metric.name)) : undefined);
    const sorted = [...mine].sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va !== undefined && vb !== undefined) return metric!.goal === 'maximize' ? vb - va : va - vb;
      if (va !== undefined || vb !== undefined) return va !== undefined ? -1 : 1;
      return cmp(b.created, a.created);
    });
    lines.push('', table(sorted, metric, o));
  }
  if (sel.dropped) lines.push('', `*${plural(sel.dropped, 'trial')} of this sweep with values no longer in the file ${sel.dropped === 1 ? 'is' : 'are'} not counted.*`);
  return lines.join('\n');
}

/** One row per run: id (a link to its panel where the editor runs command links), status, metric, duration. */
function table(runs: RunRecord[], metric: ResultsTarget['metric'], o: ResultsOptions): string {
  const rows = [`| run | status | ${metric ? escapeCell(metric.name) : 'metric'} | duration |`, '|:--|:--|--:|--:|'];
  for (const r of runs.slice(0, HOVER_ROWS)) {
    const id = o.commandLinks ? `[${r.id}](${commandLink(r.id)} "Open the run's panel")` : `\`${r.id}\``;
    const st = statusOf(r, o);
    const m = metric ? lastValue(r, metric.name) : undefined;
    const shown = typeof m === 'number' ? formatNumber(m) : typeof m === 'string' ? m : '';
    const secs = r.duration_s ?? (st === 'running' && r.started ? (o.now - Date.parse(r.started)) / 1000 : undefined);
    rows.push(`| ${id} | ${STATUS_MARK[st]} ${st}${st === 'failed' ? ` (${escapeCell(failureText(r))})` : ''} | ${shown} | ${secs !== undefined ? formatDuration(Math.round(secs)) : ''} |`);
  }
  if (runs.length > HOVER_ROWS) rows.push('', `… and ${runs.length - HOVER_ROWS} more (the Experiments view lists them all).`);
  return rows.join('\n');
}

const STATUS_MARK: Record<RunRecord['status'], string> = { succeeded: '✓', failed: '✗', running: '⟳', queued: '⋯', cancelled: '■', interrupted: '⚠' };

/** `command:expctl.openRun?["<run id>"]`, URI-encoded as VS Code reads command links. */
export function commandLink(runId: string): string {
  return `command:${OPEN_RUN_COMMAND}?${encodeURIComponent(JSON.stringify([runId]))}`;
}

const escapeCell = (s: string) => s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`);

// ---------------------------------------------------------------------------------------------

function newest(runs: readonly RunRecord[]): RunRecord {
  return runs.reduce((a, b) => (b.created > a.created || (b.created === a.created && b.id > a.id) ? b : a));
}

/**
 * Where a hint goes: after the node when it ends on the line it starts on (a value), else — or with
 * `line` (a key, whose value follows) — at the end of that line, trailing blanks aside.
 */
function endOfLine(v: Validation, node: Node, line = false): Position {
  const span = nodeSpan(node) ?? [0, 0];
  const text = v.parsed.text;
  let lineEnd = text.indexOf('\n', span[0]);
  if (lineEnd < 0) lineEnd = text.length;
  if (!line && span[1] <= lineEnd) return toPosition(v.parsed.lines, span[1]);
  let end = lineEnd;
  while (end > span[0] && /\s/.test(text[end - 1])) end--;
  return toPosition(v.parsed.lines, end);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
