// The results store: plain files in `.expctl/` (the embedded default — no server).
//
//   runs/<run-id>/run.json        status, attempts, host, git, GPUs, summary of every metric
//   runs/<run-id>/config.yaml     the resolved config that ran;  params.json  its `params:`, resolved
//   runs/<run-id>/metrics.jsonl, stdout.log, stderr.log, telemetry.jsonl   (written by the runner)
//   sweeps/<sweep-id>/sweep.json, trials.jsonl;  runner.lock  while a runner holds it (./lock.ts)
//   journal.jsonl                 append-only events: the history, and what a restart trusts
//   runs.csv, failed_runs.csv     flat tables for spreadsheets and pandas;  tables.lock  while a runner writes them
//
// run.json and the tables are replaced atomically; a kill -9 at any moment leaves every file
// readable. The in-memory index is loaded once and kept in step with every save — and, for the
// runs of other runners sharing the store, with the journal they append to (catchUp).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { Experiment } from '../config/types';
import { diskFull, readJsonLines, writeFileAtomic, writeFileAtomicAsync } from './atomic';
import { csvCell } from '../util/csv';
import { deepEqual } from '../sweep/expand';
import { alive } from '../util/process';
import { isObj, own } from '../util/object';
import type { Obj } from '../util/object';
import type { BadLine, MetricSummary } from '../runner/metrics';
import type { TelemetrySummary } from '../runner/telemetry';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface AttemptRecord {
  n: number;
  started: string;
  ended?: string;
  pid?: number;
  /** The rendezvous port picked for this attempt (`auto`), if its launcher needed one. */
  port?: number;
  exit_code?: number | null;
  signal?: string | null;
  failure_class?: string;
  message?: string;
  stderr_tail?: string;
  duration_s?: number;
  /** Seconds waited (backoff) before this attempt. */
  waited_s?: number;
  /** Bytes of stdout.log and stderr.log before this attempt: its output starts there (the logs are shared by all attempts). */
  logs_from?: { stdout: number; stderr: number };
  /** Dotted path → value this attempt ran with, where on_failure / on_oom changed it (cumulative over the attempts). */
  params?: Record<string, unknown>;
  /** Environment variables on_failure changed for this attempt, as written (cumulative over the attempts). */
  env?: Record<string, string>;
  /** On a Kubernetes target: the attempt's Job or PyTorchJob, and its (master) pod as last seen. */
  k8s?: K8sAttempt;
}

export interface K8sAttempt {
  kind: 'Job' | 'PyTorchJob';
  namespace: string;
  name: string;
  context?: string;
  pod?: string;
  phase?: string;
  node?: string;
  /** Why it is still pending, as the scheduler or kubelet says (`Insufficient nvidia.com/gpu`, `ImagePullBackOff`). */
  detail?: string;
}

export interface RunRecord {
  schema_version: 1;
  id: string;
  sweep_id: string;
  experiment: string;
  experiment_file: string;
  trial: { index: number; key: string; name: string; repeat: number };
  params: Record<string, unknown>;
  /** `params` overlaid with what on_failure / on_oom changed for the last attempt; only when that changed anything. */
  effective_params?: Record<string, unknown>;
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
  /** What defines the run's result, hashed (core/src/runner/resume.ts configHash); absent in runs of older versions. */
  config_hash?: string;
  gpus?: number[];
  summary: Record<string, MetricSummary>;
  /** Metric lines (stdout markers, metrics-file lines) that could not be read, and where the first was. */
  metrics_bad_lines?: number;
  metrics_first_bad?: BadLine;
  /** What the run's status does not say: e.g. it succeeded without reporting its primary metric. */
  warnings?: string[];
  /** Peaks, means and energy of the run's telemetry samples (local runs of a second or more). */
  telemetry?: TelemetrySummary;
}

/** A store's runs as its readers see them: FileStore (a runner's index) or StoreReader (a watcher's, ./reader.ts). */
export interface RunSource {
  readonly root: string;
  runDir(id: string): string;
  sweepDir(id: string): string;
  all(): RunRecord[];
  get(id: string): RunRecord | undefined;
  /** run.json files that could not be taken in, and why. */
  readonly damaged: ReadonlyArray<{ file: string; why: string }>;
}

export interface JournalEvent { ts: string; event: string; run_id?: string; sweep_id?: string; [k: string]: unknown }

export const STORE_DIR = '.expctl';
/** How soon a passing state (queued, running) reaches run.json. */
export const STATE_DELAY_MS = 1000;

/** In `behind`: a run read at load() while its runner was alive, read again until its run.json has a final state. */
const UNTIL_FINAL = Symbol('until final');

interface PendingWrite { text?: string; durable: boolean; done: Promise<void> }

export class FileStore implements RunSource {
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
  /** Bytes of journal.jsonl the index has taken in. */
  private journalSeen = 0;
  /** Runs this process created or saved: for them the index is ahead of the disk, never behind. */
  private own = new Set<string>();
  /** Runs of other processes whose run.json has not yet reached the status the journal gave, by id. */
  private behind = new Map<string, unknown>();

  constructor(readonly root: string) {}

  runDir(id: string): string { return path.join(this.root, 'runs', id); }
  sweepDir(id: string): string { return path.join(this.root, 'sweeps', id); }
  get journalFile(): string { return path.join(this.root, 'journal.jsonl'); }

  /** run.json files load() could not take in, and why: the commands that list runs name them. */
  damaged: Array<{ file: string; why: string }> = [];

  /**
   * Reads every run.json once; unreadable ones are reported (in `damaged` too), not fatal. Reading
   * changes nothing on disk: a store may be shared, and a process here cannot tell whether a runner
   * on another host still builds a run folder (removeStaleBuilds, under a runner's lock, cleans up).
   */
  load(): { bad: string[] } {
    const bad: string[] = [];
    this.damaged = [];
    this.runs.clear();
    this.tableRows.clear();
    this.behind.clear();
    // Events from here on may concern runs read below; taking them in again costs one read each.
    try { this.journalSeen = fs.statSync(this.journalFile).size; } catch { this.journalSeen = 0; }
    let ids: string[] = [];
    try { ids = fs.readdirSync(path.join(this.root, 'runs')); } catch { /* a new store */ }
    for (const id of ids) {
      if (id.startsWith('.')) continue; // a run folder still being built (create()): never visible as a run
      const file = path.join(this.runDir(id), 'run.json');
      try {
        const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
        const why = damage(rec, id);
        if (why) {
          bad.push(file);
          this.damaged.push({ file, why });
        } else {
          this.runs.set(id, rec);
          // Its runner may have journalled a later state (before journalSeen) not yet in run.json.
          if ((rec.status === 'queued' || rec.status === 'running') && alive(rec.runner_pid)) this.behind.set(id, UNTIL_FINAL);
        }
      } catch (e) {
        // A run folder without run.json is a run a crash interrupted before its first save.
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') {
          bad.push(file);
          this.damaged.push({ file, why: e instanceof SyntaxError ? `not JSON (${e.message})` : `cannot be read (${code ?? (e as Error).message})` });
        }
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

  /** The resolved config a run ran with (its config.yaml); undefined when it cannot be read. */
  readConfig(id: string): Experiment | undefined {
    try {
      return parseYaml(fs.readFileSync(path.join(this.runDir(id), 'config.yaml'), 'utf8')) as Experiment;
    } catch {
      return undefined;
    }
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
   * Creates the run's folder with its config, its `params:` (the file EXPCTL_PARAMS_FILE names) and
   * run.json — built under a temporary name and renamed into place, so a run folder is either
   * complete or absent. Synchronous: small writes to the page cache take microseconds, a trip
   * through libuv's thread pool far more CPU.
   *
   * `rec.id` comes from newRunId; if another process has taken that id meanwhile (a runner of
   * another sweep with a trial of the same name), the run gets the next free one, in `rec.id`.
   */
  create(rec: RunRecord, configYaml: string, params: Record<string, unknown> = {}): void {
    const tmp = path.join(this.root, 'runs', `.${rec.id}.${process.pid}.tmp`);
    try {
      fs.mkdirSync(tmp);
    } catch (e) {
      // A new store has no runs/ yet; a killed runner that had this pid may have left its folder.
      try {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') fs.rmSync(tmp, { recursive: true, force: true });
        else fs.mkdirSync(path.dirname(tmp), { recursive: true });
        fs.mkdirSync(tmp);
      } catch (again) {
        throw diskFull(again, this.runDir(rec.id));
      }
    }
    // Plain writes: nobody sees the folder until the rename — and a full disk leaves no folder behind.
    const write = (name: string, text: string) => {
      try { fs.writeFileSync(path.join(tmp, name), text); } catch (e) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw diskFull(e, path.join(this.runDir(rec.id), name), Buffer.byteLength(text));
      }
    };
    write('config.yaml', configYaml);
    write('params.json', paramsText(params));
    for (;;) {
      write('run.json', `${JSON.stringify(rec, null, 2)}\n`);
      try {
        fs.renameSync(tmp, this.runDir(rec.id));
        break;
      } catch (e) {
        // Renaming onto a run folder fails (it is never empty): the id was taken since newRunId.
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
        rec.id = this.newRunId(rec.trial.name, rec.trial.key);
      }
    }
    this.runs.set(rec.id, rec);
    this.own.add(rec.id);
    this.journal({ event: 'run-created', run_id: rec.id, sweep_id: rec.sweep_id, status: rec.status });
  }

  /** Replaces a run's params.json: an attempt that runs with changed params (on_failure) reads those. */
  writeParams(id: string, params: Record<string, unknown>): void {
    writeFileAtomic(path.join(this.runDir(id), 'params.json'), paramsText(params), false);
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
    this.own.add(rec.id);
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

  /**
   * Removes the run folders that runners of this host which are gone were still building (create()
   * names them `.<id>.<pid>.tmp`). Only for a runner holding its lock: reading never deletes.
   */
  removeStaleBuilds(): void {
    let names: string[] = [];
    try { names = fs.readdirSync(path.join(this.root, 'runs')); } catch { return; }
    for (const n of names) {
      const m = /^\..+\.(\d+)\.tmp$/.exec(n);
      if (m && !alive(Number(m[1]))) fs.rmSync(path.join(this.root, 'runs', n), { recursive: true, force: true });
    }
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
    const line = `${JSON.stringify({ ts: new Date().toISOString(), ...e })}\n`;
    try {
      this.journalFd ??= fs.openSync(this.journalFile, 'a', 0o644);
      fs.writeSync(this.journalFd, line);
    } catch (err) {
      throw diskFull(err, this.journalFile, Buffer.byteLength(line));
    }
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
   * Takes in the runs other processes (runners of other sweeps) created or changed since the index
   * last looked: the journal's new lines name them, and only their run.json files are read again.
   * The journal line comes before the run.json write it announces, so a run whose run.json does
   * not have the journal's status yet is read again next time.
   */
  private catchUp(): void {
    for (const e of this.newEvents()) if (typeof e.run_id === 'string' && !this.own.has(e.run_id)) this.behind.set(e.run_id, e.status);
    for (const [id, status] of this.behind) {
      // Taken over since load() (resumed after its runner died): this process's index is ahead.
      if (this.own.has(id)) { this.behind.delete(id); continue; }
      let rec: RunRecord;
      try { rec = JSON.parse(fs.readFileSync(this.runFile(id), 'utf8')) as RunRecord; } catch (e) {
        // Deleted: gone from the tables too. (A torn file cannot be: run.json is replaced atomically.)
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') { this.behind.delete(id); this.runs.delete(id); }
        continue;
      }
      if (rec?.id !== id) { this.behind.delete(id); continue; }
      this.runs.set(id, rec);
      this.versions.set(id, (this.versions.get(id) ?? 0) + 1);
      if (rec.status === status || (status === UNTIL_FINAL && rec.status !== 'queued' && rec.status !== 'running')) this.behind.delete(id);
    }
  }

  /** The journal's complete lines appended since the last look (torn ones, by a kill -9, skipped). */
  private newEvents(): JournalEvent[] {
    let fd: number;
    try { fd = fs.openSync(this.journalFile, 'r'); } catch { return []; /* no journal yet */ }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < this.journalSeen) this.journalSeen = 0; // a new journal: the store was replaced
      if (size === this.journalSeen) return [];
      const buf = Buffer.alloc(size - this.journalSeen);
      fs.readSync(fd, buf, 0, buf.length, this.journalSeen);
      const end = buf.lastIndexOf(10); // a line still being appended is taken in next time
      this.journalSeen += end + 1;
      const events: JournalEvent[] = [];
      for (const line of buf.toString('utf8', 0, Math.max(end, 0)).split('\n')) {
        try { events.push(JSON.parse(line) as JournalEvent); } catch { /* blank, or torn */ }
      }
      return events;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * runs.csv and failed_runs.csv, rebuilt from the index and replaced atomically — with the runs
   * of other runners sharing the store (catchUp). Each run's rows are kept as text until the run
   * changes (or the columns do): the runner rewrites the tables every second, and 10,000 runs must
   * not mean 10,000 rows formatted every second.
   */
  writeTables(): void {
    if (!this.loaded) this.load();
    fs.mkdirSync(this.root, { recursive: true });
    // Under the store's tables lock: a runner that caught up, then wrote after another runner's newer
    // tables, would replace them with rows older than the runs (every run of a sweep that ended meanwhile).
    withTablesLock(path.join(this.root, 'tables.lock'), () => this.writeTablesLocked());
  }

  private writeTablesLocked(): void {
    this.catchUp();
    const runs = this.all().sort((a, b) => cmp(a.created, b.created) || cmp(a.id, b.id));
    const keys = (f: (r: RunRecord) => object | undefined) => {
      const set = new Set<string>();
      for (const r of runs) for (const k of Object.keys(f(r) ?? {})) set.add(k);
      return [...set].sort();
    };
    const params = keys((r) => r.params);
    // `effective.<param>` beside the nominal column, for the params a retry changed in some run.
    const changed = new Set<string>();
    for (const r of runs) for (const k of Object.keys(r.effective_params ?? {})) if (!deepEqual(r.effective_params![k], own(r.params, k))) changed.add(k);
    const effective = [...changed].sort();
    const metrics = keys((r) => r.summary);
    const telemetry = keys((r) => r.telemetry).filter((k) => k !== 'samples') as Array<keyof TelemetrySummary>;
    const header = ['run_id', 'sweep_id', 'experiment', 'trial_index', 'trial_name', 'trial_key', 'repeat', 'status', 'attempts',
      'failure_class', 'exit_code', 'started', 'ended', 'duration_s', 'target', 'host', 'git_commit', 'git_dirty', 'gpus',
      ...params, ...effective.map((p) => `effective.${p}`), ...metrics.flatMap((m) => [`${m}.last`, `${m}.min`, `${m}.max`, `${m}.mean`]), ...telemetry.map((k) => `telemetry.${k}`)];
    const columns = header.join('\0');
    if (columns !== this.tableColumns) { this.tableRows.clear(); this.tableColumns = columns; }
    const line = (cells: unknown[]) => cells.map(csvCell).join(',');
    const runLines = [line(header)];
    const failedLines = [line(['timestamp', 'run_id', 'trial_name', 'attempt', 'failure_class', 'message', 'stderr_tail', 'config'])];
    for (const r of runs) {
      const version = this.versions.get(r.id) ?? 0;
      let cached = this.tableRows.get(r.id);
      if (!cached || cached.version !== version) {
        const last = r.attempts[r.attempts.length - 1];
        const run = line([r.id, r.sweep_id, r.experiment, r.trial.index, r.trial.name, r.trial.key, r.trial.repeat, r.status, r.attempts.length,
          last?.failure_class, last?.exit_code, r.started, r.ended, r.duration_s, r.target, r.host, r.git?.commit, r.git?.dirty, r.gpus?.join(' '),
          // Names come from trials' output and params: a run without one has no such own key (never `constructor` of Object).
          ...params.map((p) => own(r.params, p)), ...effective.map((p) => own(r.effective_params, p)), ...metrics.flatMap((m): unknown[] => { const s = own(r.summary, m) as MetricSummary | undefined; return s ? [s.last, s.min, s.max, s.mean] : ['', '', '', '']; }),
          ...telemetry.map((k) => r.telemetry?.[k])]);
        const failed = r.attempts.filter((a) => a.failure_class)
          .map((a) => line([a.ended ?? a.started, r.id, r.trial.name, a.n, a.failure_class, a.message, lastLines(a.stderr_tail, STDERR_LINES), JSON.stringify({ ...r.params, ...a.params })]));
        cached = { version, run, failed };
        this.tableRows.set(r.id, cached);
      }
      runLines.push(cached.run);
      failedLines.push(...cached.failed);
    }
    // Derived from run.json files: rebuilt on the next run if lost, so no fsync.
    writeFileAtomic(path.join(this.root, 'runs.csv'), `${runLines.join('\n')}\n`, false);
    writeFileAtomic(path.join(this.root, 'failed_runs.csv'), `${failedLines.join('\n')}\n`, false);
  }

}

/** How long a runner waits for another's tables lock (held for milliseconds) before taking it. */
const TABLES_LOCK_WAIT_MS = 2000;

/**
 * Runs `fn` holding `file` (created exclusively, naming this pid). A lock whose process is gone, or
 * held past TABLES_LOCK_WAIT_MS, is removed: the tables are derived data, never worth a stuck runner.
 */
function withTablesLock(file: string, fn: () => void): void {
  const until = Date.now() + TABLES_LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      const full = diskFull(e, file);
      // Created but not written: an empty lock would hold up the next runner for its whole wait.
      if (full !== e) { fs.rmSync(file, { force: true }); throw full; }
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = NaN;
      try { holder = Number(fs.readFileSync(file, 'utf8')); } catch { continue; /* released meanwhile */ }
      // An empty file is a lock being written (holder NaN, 0): wait for it like a live one.
      if ((holder > 0 && !alive(holder)) || Date.now() > until) { fs.rmSync(file, { force: true }); continue; }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try { fn(); } finally { fs.rmSync(file, { force: true }); }
}

/**
 * What makes a parsed run.json unusable, or undefined: the fields every command reads (ls, status,
 * the tables, resume) must be there with their types — a hand-edited or truncated-by-hand file is not.
 */
export function damage(rec: unknown, id: string): string | undefined {
  if (!isObj(rec)) return 'not a JSON object';
  if (rec.id !== id) return `its "id" is ${JSON.stringify(rec.id)}, not its folder's name ${id}`;
  const fields: Array<[Obj, string, 'string' | 'number' | 'object' | 'array']> = [
    [rec, 'sweep_id', 'string'], [rec, 'status', 'string'], [rec, 'created', 'string'], [rec, 'params', 'object'],
    [rec, 'summary', 'object'], [rec, 'attempts', 'array'], [rec, 'trial', 'object']];
  for (const [obj, k, type] of fields) {
    const v = obj[k];
    if (type === 'array' ? Array.isArray(v) : type === 'object' ? isObj(v) : typeof v === type) {
      if (k === 'trial') fields.push([v as Obj, 'key', 'string'], [v as Obj, 'name', 'string'], [v as Obj, 'index', 'number']);
      continue;
    }
    const name = obj === rec ? k : `trial.${k}`;
    return v === undefined ? `"${name}" is missing` : `"${name}" is not ${type === 'array' ? 'a list' : type === 'object' ? 'a mapping' : `a ${type}`}`;
  }
  return undefined;
}

/** The newest run of each trial key: the run that speaks for the trial (resume, status, the editor). */
export function latestByTrial(runs: Iterable<RunRecord>): Map<string, RunRecord> {
  const latest = new Map<string, RunRecord>();
  for (const r of runs) {
    const cur = latest.get(r.trial.key);
    if (!cur || r.created > cur.created) latest.set(r.trial.key, r);
  }
  return latest;
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

const paramsText = (params: Record<string, unknown>) => `${JSON.stringify(params, null, 2)}\n`;

/** Lines of an attempt's stderr in failed_runs.csv: the error and its context, not the whole log. */
const STDERR_LINES = 5;

/** The last `n` non-blank lines (a progress bar's `\r` ends a line too), trailing spaces trimmed. */
function lastLines(text: string | undefined, n: number): string | undefined {
  return text?.split(/\r\n|\r|\n/).filter((l) => l.trim()).slice(-n).map((l) => l.trimEnd()).join('\n');
}


/** Code-point order: ISO times and ids sort right without the cost of localeCompare. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Safe in a file name and readable: lowercase letters, digits, `.`, `_`, `-`. */
export function slug(s: string): string {
  // No leading or trailing dots: an id of '..' would escape the runs folder.
  return s.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'run';
}
