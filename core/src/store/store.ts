// The results store: plain files in `.expctl/` (the embedded default — no server).
//
//   runs/<run-id>/run.json        status, attempts, host, git, GPUs, summary of every metric
//   runs/<run-id>/config.yaml     the resolved config that ran;  params.json  the trial's parameters
//   runs/<run-id>/metrics.jsonl, stdout.log, stderr.log, telemetry.jsonl   (written by the runner)
//   sweeps/<sweep-id>/sweep.json, trials.jsonl
//   journal.jsonl                 append-only events: the history, and what a restart trusts
//   runs.csv, failed_runs.csv     flat tables for spreadsheets and pandas
//
// run.json and the tables are replaced atomically; a kill -9 at any moment leaves every file
// readable. The in-memory index is loaded once and kept in step with every save.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { readJsonLines, writeFileAtomic, writeFileAtomicAsync } from './atomic';
import { csvCell } from '../util/csv';
import { alive } from '../util/process';
import type { MetricSummary } from '../runner/metrics';
import type { TelemetrySummary } from '../runner/telemetry';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface AttemptRecord {
  n: number;
  started: string;
  ended?: string;
  pid?: number;
  exit_code?: number | null;
  signal?: string | null;
  failure_class?: string;
  message?: string;
  stderr_tail?: string;
  duration_s?: number;
  /** Seconds waited (backoff) before this attempt. */
  waited_s?: number;
  /** Parameters changed for this attempt (on_oom scaling). */
  params?: Record<string, unknown>;
}

export interface RunRecord {
  schema_version: 1;
  id: string;
  sweep_id: string;
  experiment: string;
  experiment_file: string;
  trial: { index: number; key: string; name: string; repeat: number };
  params: Record<string, unknown>;
  target: string;
  status: RunStatus;
  created: string;
  started?: string;
  ended?: string;
  duration_s?: number;
  attempts: AttemptRecord[];
  host: string;
  /** The runner process that owns the run while it is running (resume checks it is alive). */
  runner_pid?: number;
  git?: { commit: string; dirty: boolean };
  gpus?: number[];
  summary: Record<string, MetricSummary>;
  metrics_bad_lines?: number;
  /** Peaks, means and energy of the run's telemetry samples (local runs of a second or more). */
  telemetry?: TelemetrySummary;
}

export interface JournalEvent { ts: string; event: string; run_id?: string; sweep_id?: string; [k: string]: unknown }

export const STORE_DIR = '.expctl';
/** How soon a passing state (queued, running) reaches run.json. */
export const STATE_DELAY_MS = 1000;

interface PendingWrite { text?: string; durable: boolean; done: Promise<void> }

export class FileStore {
  private runs = new Map<string, RunRecord>();
  private loaded = false;
  private writes = new Map<string, PendingWrite>();
  private writeError?: Error;
  /** Passing states (queued, running) not yet written to run.json, by run id. */
  private due = new Map<string, string>();
  private dueTimer?: NodeJS.Timeout;
  private journalFd?: number;
  /** Bumped by every save, so cached table rows know they are stale. */
  private versions = new Map<string, number>();
  private tableRows = new Map<string, { version: number; run: string; failed: string[] }>();
  private tableColumns = '';

  constructor(readonly root: string) {}

  runDir(id: string): string { return path.join(this.root, 'runs', id); }
  sweepDir(id: string): string { return path.join(this.root, 'sweeps', id); }
  get journalFile(): string { return path.join(this.root, 'journal.jsonl'); }

  /** Reads every run.json once; unreadable ones are reported, not fatal. */
  load(): { bad: string[] } {
    const bad: string[] = [];
    this.runs.clear();
    this.tableRows.clear();
    let ids: string[] = [];
    try { ids = fs.readdirSync(path.join(this.root, 'runs')); } catch { /* a new store */ }
    for (const id of ids) {
      if (id.startsWith('.')) {
        // A run folder a killed runner was still building: never visible as a run.
        const owner = Number(id.split('.').at(-2));
        if (!alive(owner)) fs.rmSync(path.join(this.root, 'runs', id), { recursive: true, force: true });
        continue;
      }
      const file = path.join(this.runDir(id), 'run.json');
      try {
        const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
        if (rec && rec.id === id) this.runs.set(id, rec);
        else bad.push(file);
      } catch (e) {
        // A run folder without run.json is a run a crash interrupted before its first save.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') bad.push(file);
      }
    }
    this.loaded = true;
    return { bad };
  }

  all(): RunRecord[] {
    if (!this.loaded) this.load();
    return [...this.runs.values()];
  }

  get(id: string): RunRecord | undefined {
    if (!this.loaded) this.load();
    return this.runs.get(id);
  }

  /** A run id not yet used: `<trial-name>-<key8>`, then `-2`, `-3` for later runs of the same trial. */
  newRunId(trialName: string, key: string): string {
    if (!this.loaded) this.load();
    const base = `${slug(trialName).slice(0, 60)}-${key.slice(0, 8)}`;
    let id = base;
    for (let n = 2; this.runs.has(id) || fs.existsSync(this.runDir(id)); n++) id = `${base}-${n}`;
    return id;
  }

  /**
   * Creates the run's folder with its config, parameters and run.json — built under a temporary
   * name and renamed into place, so a run folder is either complete or absent. Synchronous: small
   * writes to the page cache take microseconds, a trip through libuv's thread pool far more CPU.
   */
  create(rec: RunRecord, configYaml: string): void {
    this.runs.set(rec.id, rec); // the id is taken from now on
    const dir = this.runDir(rec.id);
    const tmp = path.join(path.dirname(dir), `.${rec.id}.${process.pid}.tmp`);
    try {
      fs.mkdirSync(tmp);
    } catch (e) {
      // A new store has no runs/ yet; a killed runner that had this pid may have left its folder.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') fs.rmSync(tmp, { recursive: true, force: true });
      else fs.mkdirSync(path.dirname(tmp), { recursive: true });
      fs.mkdirSync(tmp);
    }
    // Plain writes: nobody sees the folder until the rename.
    fs.writeFileSync(path.join(tmp, 'config.yaml'), configYaml);
    fs.writeFileSync(path.join(tmp, 'params.json'), `${JSON.stringify(rec.params, null, 2)}\n`);
    fs.writeFileSync(path.join(tmp, 'run.json'), `${JSON.stringify(rec, null, 2)}\n`);
    fs.renameSync(tmp, dir);
    this.journal({ event: 'run-created', run_id: rec.id, sweep_id: rec.sweep_id, status: rec.status });
  }

  /**
   * Journals the event at once and replaces run.json atomically. A final state is written and
   * fsynced in the background, in order per run, a newer state superseding one not yet written.
   * A passing state (queued, running) is written within STATE_DELAY_MS — replacing a file costs
   * far more than appending a journal line, and a run of a few seconds would otherwise pay that
   * several times; a runner killed meanwhile leaves an older state, which resume completes from the
   * attempt's own traces. settled() and flush() write at once what is due.
   */
  save(rec: RunRecord, event: string, extra: Record<string, unknown> = {}): void {
    const final = rec.status !== 'running' && rec.status !== 'queued';
    this.runs.set(rec.id, rec);
    this.versions.set(rec.id, (this.versions.get(rec.id) ?? 0) + 1);
    this.journal({ event, run_id: rec.id, sweep_id: rec.sweep_id, status: rec.status, ...extra });
    const text = `${JSON.stringify(rec, null, 2)}\n`;
    const slot = this.writes.get(rec.id);
    if (slot) { slot.text = text; slot.durable ||= final; return; }
    if (!final) {
      this.due.set(rec.id, text);
      this.dueTimer ??= setTimeout(() => this.writeDue(), STATE_DELAY_MS);
      return;
    }
    this.due.delete(rec.id);
    const s: PendingWrite = { text, durable: final, done: Promise.resolve() };
    this.writes.set(rec.id, s);
    s.done = (async () => {
      try {
        for (let t = s.text; t !== undefined; t = s.text) {
          const durable = s.durable;
          s.text = undefined;
          s.durable = false;
          await writeFileAtomicAsync(this.runFile(rec.id), t, durable);
        }
      } catch (e) {
        this.writeError ??= e as Error;
      } finally {
        this.writes.delete(rec.id);
      }
    })();
  }

  private runFile(id: string): string { return path.join(this.runDir(id), 'run.json'); }

  /** Writes the passing states not yet written (all, or one run's). */
  private writeDue(id?: string): void {
    for (const [run, text] of this.due) {
      if (id !== undefined && run !== id) continue;
      this.due.delete(run);
      try { writeFileAtomic(this.runFile(run), text, false); } catch (e) { this.writeError ??= e as Error; }
    }
    if (id === undefined || !this.due.size) { clearTimeout(this.dueTimer); this.dueTimer = undefined; }
  }

  /** Removes the temp files of run.json writes a killed runner left unfinished in this run's folder. */
  removeStaleTemps(id: string): void {
    let names: string[] = [];
    try { names = fs.readdirSync(this.runDir(id)); } catch { return; }
    for (const n of names) {
      const m = /^\.run\.json\.(\d+)\.\d+\.tmp$/.exec(n);
      if (m && !alive(Number(m[1]))) fs.rmSync(path.join(this.runDir(id), n), { force: true });
    }
  }

  /** Waits until run.json of this run holds what the last save() gave it. */
  async settled(id: string): Promise<void> {
    this.writeDue(id);
    await this.writes.get(id)?.done;
  }

  /** Writes everything save() was given; throws the first write that failed (a full disk). */
  async flush(): Promise<void> {
    this.writeDue();
    while (this.writes.size) await Promise.all([...this.writes.values()].map((w) => w.done));
    if (this.writeError) { const e = this.writeError; this.writeError = undefined; throw e; }
  }

  journal(e: Omit<JournalEvent, 'ts'>): void {
    // One descriptor for the store's life: an open and a close per event cost more than the write.
    // O_APPEND: lines of concurrent runners never interleave.
    this.journalFd ??= fs.openSync(this.journalFile, 'a', 0o644);
    fs.writeSync(this.journalFd, `${JSON.stringify({ ts: new Date().toISOString(), ...e })}\n`);
  }

  events(): JournalEvent[] {
    return readJsonLines<JournalEvent>(this.journalFile).items;
  }

  writeSweep(id: string, meta: Record<string, unknown>, trials: unknown[]): void {
    const dir = this.sweepDir(id);
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomic(path.join(dir, 'sweep.json'), `${JSON.stringify(meta, null, 2)}\n`, false);
    writeFileAtomic(path.join(dir, 'trials.jsonl'), trials.map((t) => JSON.stringify(t)).join('\n') + '\n', false);
  }

  /** Merges fields into sweep.json (e.g. when its runner finishes). */
  updateSweep(id: string, patch: Record<string, unknown>): void {
    const file = path.join(this.sweepDir(id), 'sweep.json');
    let meta: Record<string, unknown> = {};
    try { meta = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>; } catch { /* none yet */ }
    writeFileAtomic(file, `${JSON.stringify({ ...meta, ...patch }, null, 2)}\n`, false);
  }

  /**
   * runs.csv and failed_runs.csv, rebuilt from the index and replaced atomically. Each run's rows
   * are kept as text until the run changes (or the columns do): the runner rewrites the tables
   * every second, and 10,000 runs must not mean 10,000 rows formatted every second.
   */
  writeTables(): void {
    const runs = this.all().sort((a, b) => cmp(a.created, b.created) || cmp(a.id, b.id));
    const keys = (f: (r: RunRecord) => object | undefined) => {
      const set = new Set<string>();
      for (const r of runs) for (const k in f(r) ?? {}) set.add(k);
      return [...set].sort();
    };
    const params = keys((r) => r.params);
    const metrics = keys((r) => r.summary);
    const telemetry = keys((r) => r.telemetry).filter((k) => k !== 'samples') as Array<keyof TelemetrySummary>;
    const header = ['run_id', 'sweep_id', 'experiment', 'trial_index', 'trial_name', 'trial_key', 'repeat', 'status', 'attempts',
      'failure_class', 'exit_code', 'started', 'ended', 'duration_s', 'target', 'host', 'git_commit', 'git_dirty', 'gpus',
      ...params, ...metrics.flatMap((m) => [`${m}.last`, `${m}.min`, `${m}.max`, `${m}.mean`]), ...telemetry.map((k) => `telemetry.${k}`)];
    const columns = header.join('\0');
    if (columns !== this.tableColumns) { this.tableRows.clear(); this.tableColumns = columns; }
    const line = (cells: unknown[]) => cells.map(csvCell).join(',');
    const runLines = [line(header)];
    const failedLines = [line(['timestamp', 'run_id', 'trial_name', 'attempt', 'failure_class', 'message', 'config'])];
    for (const r of runs) {
      const version = this.versions.get(r.id) ?? 0;
      let cached = this.tableRows.get(r.id);
      if (!cached || cached.version !== version) {
        const last = r.attempts[r.attempts.length - 1];
        const run = line([r.id, r.sweep_id, r.experiment, r.trial.index, r.trial.name, r.trial.key, r.trial.repeat, r.status, r.attempts.length,
          last?.failure_class, last?.exit_code, r.started, r.ended, r.duration_s, r.target, r.host, r.git?.commit, r.git?.dirty, r.gpus?.join(' '),
          ...params.map((p) => r.params[p]), ...metrics.flatMap((m): unknown[] => { const s = r.summary[m]; return s ? [s.last, s.min, s.max, s.mean] : ['', '', '', '']; }),
          ...telemetry.map((k) => r.telemetry?.[k])]);
        const failed = r.attempts.filter((a) => a.failure_class)
          .map((a) => line([a.ended ?? a.started, r.id, r.trial.name, a.n, a.failure_class, a.message, JSON.stringify({ ...r.params, ...a.params })]));
        cached = { version, run, failed };
        this.tableRows.set(r.id, cached);
      }
      runLines.push(cached.run);
      failedLines.push(...cached.failed);
    }
    fs.mkdirSync(this.root, { recursive: true });
    // Derived from run.json files: rebuilt on the next run if lost, so no fsync.
    writeFileAtomic(path.join(this.root, 'runs.csv'), `${runLines.join('\n')}\n`, false);
    writeFileAtomic(path.join(this.root, 'failed_runs.csv'), `${failedLines.join('\n')}\n`, false);
  }

}

/** A sweep's id in the store: its name, readable, and a hash of the file's absolute path. */
export function sweepIdFor(name: string, absFile: string): string {
  return `${slug(name).slice(0, 60)}-${createHash('sha256').update(absFile).digest('hex').slice(0, 8)}`;
}

/** The name a sweep or experiment file runs under: its `name:`, else the file name without suffixes. */
export function runName(kind: 'sweep' | 'experiment', config: { name?: unknown }, absFile: string): string {
  if (typeof config.name === 'string' && config.name) return config.name;
  return path.basename(absFile).replace(kind === 'sweep' ? /\.sweep\.ya?ml$|\.ya?ml$/ : /\.experiment\.ya?ml$|\.ya?ml$/, '');
}

/** `.expctl` in the nearest folder above the file that has one, or a `.git`; else next to the file. */
export function storeDirFor(file: string): string {
  let dir = path.dirname(path.resolve(file));
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, STORE_DIR)) || fs.existsSync(path.join(d, '.git'))) { dir = d; break; }
    if (path.dirname(d) === d) break;
  }
  return path.join(dir, STORE_DIR);
}

/** Code-point order: ISO times and ids sort right without the cost of localeCompare. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Safe in a file name and readable: lowercase letters, digits, `.`, `_`, `-`. */
export function slug(s: string): string {
  // No leading or trailing dots: an id of '..' would escape the runs folder.
  return s.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'run';
}
