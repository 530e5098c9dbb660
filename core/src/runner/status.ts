// What is going on in a results store, per sweep: read from run.json files and sweep.json only, so
// anyone (the CLI, the editor after a window reload) sees the same state as the runner that owns it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Goal } from '../config/types';
import { latestByTrial } from '../store/store';
import type { RunRecord, RunSource, RunStatus } from '../store/store';
import { alive } from '../util/process';
import { badLinesSentence, finiteValue, isNonFinite } from './metrics';
import type { BadLine, NonFinite } from './metrics';

export interface RunningRun {
  id: string;
  trial: string;
  attempt: number;
  elapsedS: number;
  gpus?: number[];
  /** The newest value of the sweep's metric (or of any metric) the run has reported. */
  latest?: { name: string; value: number | NonFinite; step?: number };
}

/** Metric lines runs could not read, and runs with warnings (RunRecord.warnings): per sweep, or the runs of one `expctl run`. */
export interface MetricProblems {
  /** Lines in all runs, the runs that had any, and the first of the first such run (in trial order). */
  badLines?: { lines: number; runs: number; first?: BadLine & { run: string } };
  warnings: Array<{ id: string; trial: string; message: string }>;
}

export function metricProblems(runs: readonly RunRecord[]): MetricProblems {
  const out: MetricProblems = { warnings: [] };
  const sorted = [...runs].sort((a, b) => a.trial.index - b.trial.index || a.trial.repeat - b.trial.repeat);
  for (const r of sorted) {
    if (r.metrics_bad_lines) {
      const b = (out.badLines ??= { lines: 0, runs: 0 });
      b.lines += r.metrics_bad_lines;
      b.runs++;
      if (!b.first && r.metrics_first_bad) b.first = { ...r.metrics_first_bad, run: r.id };
    }
    for (const message of r.warnings ?? []) out.warnings.push({ id: r.id, trial: r.trial.name, message });
  }
  return out;
}

/**
 * MetricProblems as sentences: the unreadable lines of all runs in one, then the runs' warnings,
 * `max` of them, then how many more (for `expctl status`, the end of `expctl run`, the editor).
 */
export function problemSentences(p: MetricProblems, max: number): string[] {
  const b = p.badLines;
  const out = b ? [badLinesSentence(b.lines, b.first, { runs: b.runs, run: b.first?.run })] : [];
  for (const w of p.warnings.slice(0, max)) out.push(`${w.trial}: ${w.message} (${w.id})`);
  const more = p.warnings.length - Math.min(max, p.warnings.length);
  if (more) out.push(`${more}${max ? ' more' : ''} run${more === 1 ? '' : 's'} with warnings (in run.json, \`expctl ls --json\`)`);
  return out;
}

export interface SweepStatus {
  id: string;
  name: string;
  file?: string;
  target?: string;
  metric?: { name: string; goal: Goal };
  /** Trials in the plan (from sweep.json), or the trials seen in runs. */
  total: number;
  /** Per trial, its newest run's status; `pending` = no run yet. A running run whose runner is gone is `interrupted`. */
  counts: Record<RunStatus | 'pending', number>;
  runner?: { pid: number; alive: boolean };
  /** When its last runner finished (ISO), if it did. */
  finished?: string;
  /** Newest change of any run, ISO time. */
  updated: string;
  running: RunningRun[];
  failed: Array<{ id: string; trial: string; failure: string; message: string }>;
  best?: { id: string; trial: string; value: number };
  /** Of the trials' newest runs. */
  metricProblems: MetricProblems;
  /**
   * Trials whose newest run has another config hash than the sweep's file gives them now (`expctl
   * run` runs them again); set by callers that re-plan the file (the CLI's status), not by storeStatus.
   */
  changed?: number;
}

interface SweepMeta { name?: string; file?: string; trials?: number; target?: string; metric?: { name: string; goal: Goal }; runner_pid?: number; created?: string; finished?: string }

function readMeta(store: RunSource, id: string): SweepMeta {
  try { return JSON.parse(fs.readFileSync(path.join(store.sweepDir(id), 'sweep.json'), 'utf8')) as SweepMeta; } catch { return {}; }
}

/** The last JSON line of a metrics file that carries a number, reading only its end. */
function latestMetric(file: string, name: string | undefined): RunningRun['latest'] {
  let text = '';
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, 16 * 1024));
      fs.readSync(fd, buf, 0, buf.length, size - buf.length);
      text = buf.toString('utf8');
    } finally { fs.closeSync(fd); }
  } catch { return undefined; }
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    let rec: Record<string, unknown>;
    try { rec = JSON.parse(lines[i]) as Record<string, unknown>; } catch { continue; }
    const isValue = (v: unknown) => typeof v === 'number' || isNonFinite(v); // a NaN is news too
    const key = name !== undefined ? (isValue(rec[name]) ? name : undefined)
      : Object.keys(rec).find((k) => k !== 'step' && isValue(rec[k]));
    if (key) return { name: key, value: rec[key] as number | NonFinite, step: typeof rec.step === 'number' ? rec.step : undefined };
  }
  return undefined;
}

const isActive = (r: RunRecord) => r.status === 'running' || r.status === 'queued';

export function storeStatus(store: RunSource, o: { sweep?: string; now?: number } = {}): SweepStatus[] {
  const now = o.now ?? Date.now();
  const bySweep = new Map<string, RunRecord[]>();
  for (const r of store.all()) {
    if (o.sweep && r.sweep_id !== o.sweep) continue;
    const list = bySweep.get(r.sweep_id) ?? [];
    list.push(r);
    bySweep.set(r.sweep_id, list);
  }
  const out: SweepStatus[] = [];
  for (const [id, runs] of bySweep) {
    const meta = readMeta(store, id);
    const latest = latestByTrial(runs);
    const counts: SweepStatus['counts'] = { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, interrupted: 0 };
    const s: SweepStatus = {
      id, name: meta.name ?? runs[0].experiment ?? id, file: meta.file, target: meta.target, metric: meta.metric,
      total: Math.max(meta.trials ?? 0, latest.size), counts, updated: meta.created ?? runs[0].created, running: [], failed: [], metricProblems: { warnings: [] },
      ...(meta.finished ? { finished: meta.finished } : {}),
    };
    // A finished runner's pid may since belong to another process: only an unfinished one is looked up.
    const pid = meta.runner_pid ?? runs.find(isActive)?.runner_pid;
    if (pid) s.runner = { pid, alive: !meta.finished && alive(pid) };
    for (const r of latest.values()) {
      const stamp = r.ended ?? r.attempts.at(-1)?.started ?? r.started ?? r.created;
      if (stamp > s.updated) s.updated = stamp;
      const orphaned = isActive(r) && !alive(r.runner_pid);
      counts[orphaned ? 'interrupted' : r.status]++;
      const last = r.attempts.at(-1);
      if (r.status === 'running' && !orphaned) {
        s.running.push({
          id: r.id, trial: r.trial.name, attempt: last?.n ?? 1, elapsedS: Math.max(0, (now - Date.parse(r.started ?? r.created)) / 1000),
          gpus: r.gpus, latest: latestMetric(path.join(store.runDir(r.id), 'metrics.jsonl'), s.metric?.name),
        });
      }
      if (r.status === 'failed') s.failed.push({ id: r.id, trial: r.trial.name, failure: last?.failure_class ?? 'failed', message: last?.message ?? '' });
      const v = s.metric && r.status === 'succeeded' ? finiteValue(r.summary[s.metric.name]?.last) : undefined;
      if (v !== undefined && (!s.best || (s.metric!.goal === 'maximize' ? v > s.best.value : v < s.best.value))) s.best = { id: r.id, trial: r.trial.name, value: v };
    }
    counts.pending = Math.max(0, s.total - latest.size);
    s.metricProblems = metricProblems([...latest.values()]);
    s.running.sort((a, b) => b.elapsedS - a.elapsedS);
    out.push(s);
  }
  return out.sort((a, b) => b.updated.localeCompare(a.updated));
}

/** Whether anything in these sweeps may still change (a live runner, or runs not yet ended). */
export function anyActive(sweeps: SweepStatus[]): boolean {
  return sweeps.some((s) => s.runner?.alive || s.counts.running > 0 || s.counts.queued > 0);
}
