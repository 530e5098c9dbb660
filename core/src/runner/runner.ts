// The runner: plan → trials → runs. Skips what already succeeded (resume), schedules the rest
// within max_parallel and the GPUs, runs attempts on a target with retries and backoff, and keeps
// every step in the store so that a killed runner loses nothing.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Experiment, Goal, Sweep } from '../config/types';
import type { Diagnostic } from '../diagnostic';
import type { FileHost, ValidationSettings } from '../rules/api';
import { defaultSettings } from '../rules/api';
import { validateText } from '../validate';
import { expandSweep, trialConfig } from '../sweep';
import type { Trial } from '../sweep';
import { parseDuration, parseQuantity } from '../util/units';
import { FileStore, latestByTrial, runName, sweepIdFor } from '../store/store';
import { acquireLock, checkLock, LockedError, sweepLockFile } from '../store/lock';
import { DiskFullError, freeBytes } from '../store/atomic';
import { deriveIntoRun, parseDerivations, type Derivation } from '../stats/derive';
import { configHash, decide, decideAll, DEFAULT_RERUN, sweepIdOf, sweptKeysOf, unfinished } from './resume';
import type { RerunPolicy } from './resume';
import { alive, startedBy } from '../util/process';
import type { AttemptRecord, K8sAttempt, RunRecord, RunSource } from '../store/store';
import { toYaml } from '../yaml/emit';
import { buildLaunch, gpusRequested, needsPort, pinnedGpus } from './launch';
import { PortPool } from '../util/net';
import { backoffSeconds, classify, retryable } from './failure';
import { applyOnFailure, withChanges } from './retry-policy';
import { missingPrimary } from './metrics';
import { METRICS_FILE, MetricsCollector } from './collector';
import { KafkaMetrics } from './kafka-metrics';
import { Scheduler } from './scheduler';
import { TelemetryAccumulator, TelemetrySampler } from './telemetry';
import type { AttemptOutcome } from './failure';
import { localTarget } from '../targets/local';
import type { AttemptRef, RunningAttempt, Target, TrialRef } from '../targets/api';

/** A file in a run's folder asking the runner to treat the current attempt's end as a cancel. */
export const CANCEL_MARKER = 'cancel';

/**
 * Cancels runs from outside the runner: marks each run, then sends SIGTERM to its attempt's
 * process group (the runner records `cancelled` when the attempt ends), or — for a whole sweep
 * whose runner is alive — to the runner, which stops launching and cancels the rest itself.
 */
export async function cancelRuns(store: FileStore, runs: RunRecord[], wholeSweep: boolean, targetOf: (r: RunRecord) => Target = () => localTarget()): Promise<string[]> {
  const done: string[] = [];
  const stops: Array<void | Promise<void>> = [];
  const runners = new Set<number>();
  for (const r of runs) {
    if (r.status !== 'running' && r.status !== 'queued') continue;
    done.push(r.id);
    fs.writeFileSync(path.join(store.runDir(r.id), CANCEL_MARKER), `${new Date().toISOString()}\n`);
    // A whole sweep with its runner alive: only the runner is told, so that it cannot start the
    // next trial in between; it terminates its attempts itself.
    const runner = wholeSweep ? sweepRunner(store, r) : undefined;
    if (runner) { runners.add(runner); continue; }
    const target = targetOf(r);
    stops.push(target.cancelAttempt(r.id, r.attempts[r.attempts.length - 1], r.attempts.length + 1, target.kind === 'local' ? undefined : store.readConfig(r.id)));
  }
  for (const pid of runners) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
  await Promise.all(stops);
  return done;
}

/**
 * The pid of the live runner that holds the run's sweep on this host — as its lock says, and only if
 * that process started before it took the lock (not a later process given the same pid).
 */
function sweepRunner(store: FileStore, r: RunRecord): number | undefined {
  try {
    checkLock(sweepLockFile(store.root, r.sweep_id));
  } catch (e) {
    const h = e instanceof LockedError && e.reason === 'running' ? e.holder : undefined;
    if (h && h.pid === r.runner_pid && startedBy(h.pid, Date.parse(h.started))) return h.pid;
  }
  return undefined;
}

export interface Plan {
  /** The sweep or experiment file that was planned. */
  file: string;
  experimentFile: string;
  experiment: Experiment;
  /** The sweep's id in the store (see sweepIdOf: the file's path plays no part). */
  sweepId: string;
  /** Ids earlier versions gave the same sweep (name + hash of the file's path): their runs count too. */
  legacySweepIds: string[];
  name: string;
  method: string;
  maxParallel: number;
  /** The sweep's or experiment's `target:`, if it names one. */
  target?: string;
  /** The metric that ranks trials: the sweep's `metric`, else the experiment's `metrics.primary`. */
  metric?: { name: string; goal: Goal };
  /** Derived metrics computed as each run ends: the experiment's `metrics.derived`, then the sweep's. */
  derived: Derivation[];
  trials: Trial[];
  /** Trials the file expands to: more than `trials` holds when planFile was given a `limit`. */
  total: number;
  excluded: number;
}

/** Parsed derived metrics; validation (rule metrics-derived) has refused a file whose expressions do not parse. */
const derivations = (defs: Record<string, string> | undefined): Derivation[] => parseDerivations(Object.entries(defs ?? {}));

/**
 * Most trials one sweep runs (and `plan`/`--dry-run` list): 10,000 queued trials take ~150 MB in the
 * runner, so this keeps it near 1 GB; beyond it, split the sweep.
 */
export const MAX_SWEEP_TRIALS = 100_000;

/**
 * Validates a sweep or experiment file and expands it; errors come back as diagnostics. Only the
 * first `limit` trials are made (`total` still counts them all): a 10^9-trial grid is planned
 * without building a billion trials — callers that need every trial check `total` against
 * MAX_SWEEP_TRIALS. Trial names are checked for duplicates among those made.
 */
export function planFile(file: string, host: FileHost, settings?: ValidationSettings, limit = MAX_SWEEP_TRIALS + 1): { plan?: Plan; diagnostics: Diagnostic[] } {
  settings ??= { ...defaultSettings, maxTrials: Math.max(limit, 1) };
  const abs = path.resolve(file);
  const text = host.readFile(abs);
  if (text === undefined) return { diagnostics: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', rule: 'file-exists', message: 'no such file' }] };
  const v = validateText(abs, text, host, settings);
  // An invalid experiment is a warning on the sweep in the editor (its errors are shown in its own
  // file); a sweep that runs it cannot run.
  const errors = v.diagnostics.filter((d) => d.severity === 'error' || d.rule === 'experiment-invalid').map((d) => ({ ...d, severity: 'error' as const }));
  const vd = v.docs[0];
  if (errors.length || !vd) return { diagnostics: errors };
  const base = path.basename(abs).replace(/\.(sweep|experiment)\.ya?ml$|\.ya?ml$/, '');
  if (vd.kind === 'sweep' && vd.experiment) {
    const sweep = vd.config as Sweep;
    const ex = expandSweep(sweep, vd.experiment, { sweepName: base, limit });
    return { diagnostics: [], plan: {
      file: abs, experimentFile: vd.experimentFile ?? abs, experiment: vd.experiment, name: runName('sweep', sweep, abs),
      sweepId: sweepIdOf('sweep', sweep, vd.experiment.name, sweptKeysOf(sweep)),
      legacySweepIds: [sweepIdFor(runName('sweep', sweep, abs), abs)],
      method: sweep.method ?? 'grid', maxParallel: sweep.max_parallel ?? 1, target: sweep.target ?? vd.experiment.target, trials: ex.trials, total: ex.total, excluded: ex.excluded,
      metric: primaryMetric(sweep.metric, vd.experiment),
      derived: derivations({ ...vd.experiment.metrics?.derived, ...sweep.metrics?.derived }),
    } };
  }
  if (vd.kind === 'experiment') {
    const exp = vd.config as Experiment;
    const ex = expandSweep({ method: 'list', trials: [{}], repeat: exp.repeat ?? 1 }, exp, { limit });
    return { diagnostics: [], plan: {
      file: abs, experimentFile: abs, experiment: exp, name: runName('experiment', exp, abs),
      sweepId: sweepIdOf('experiment', exp, exp.name), legacySweepIds: [sweepIdFor(runName('experiment', exp, abs), abs)],
      method: 'experiment', maxParallel: 1, target: exp.target, trials: ex.trials, total: ex.total, excluded: 0, metric: primaryMetric(undefined, exp),
      derived: derivations(exp.metrics?.derived),
    } };
  }
  return { diagnostics: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 'error', rule: 'file-kind', message: 'not a sweep or experiment file (name it *.sweep.yaml or *.experiment.yaml)' }] };
}

function primaryMetric(m: Sweep['metric'], e: Experiment): Plan['metric'] {
  const name = m?.name ?? e.metrics?.primary;
  return name ? { name, goal: m?.goal ?? e.metrics?.goal ?? 'minimize' } : undefined;
}

export type RunnerEvent =
  | { type: 'skipped'; trial: Trial; runId: string; reason: string }
  /** `reason`: why a trial that has run before runs again (its config changed, --rerun). */
  | { type: 'started'; run: RunRecord; reason?: string }
  | { type: 'attempt'; run: RunRecord; attempt: AttemptRecord }
  /** `params` / `env`: what on_failure changed for the next attempt (env by name only). */
  | { type: 'retry'; run: RunRecord; failure: string; waitS: number; params?: Record<string, unknown>; env?: string[] }
  | { type: 'ended'; run: RunRecord }
  | { type: 'line'; runId: string; stream: 'stdout' | 'stderr'; line: string; ts: number };

export interface RunnerOptions {
  store: FileStore;
  /** Overrides the plan's max_parallel. */
  maxParallel?: number;
  /** Which trials that already ended run again (default: those whose config changed). */
  rerun?: RerunPolicy;
  /** Where attempts run (default: this machine). */
  target?: Target;
  /** GPU indices to schedule on; default: the target's inventory ([] = CPU-only). */
  gpus?: number[];
  signal?: AbortSignal;
  onEvent?: (e: RunnerEvent) => void;
  /** Seconds between SIGTERM and SIGKILL when stopping a run (default 10). */
  graceS?: number;
  random?: () => number;
  /** Milliseconds between telemetry samples (default 1000). */
  telemetryIntervalMs?: number;
}

export interface RunSummary {
  succeeded: number; failed: number; cancelled: number; skipped: number; runs: RunRecord[];
  /** What the sweep as a whole has to say (records of the metrics topic that were skipped, …). */
  notes?: string[];
}

const now = () => new Date().toISOString();


/** The commit of the experiment's repository and whether it has changes — the results store's own files aside. */
function gitInfo(dir: string, storeRoot: string): RunRecord['git'] {
  // One git process: `# branch.oid <commit>` (or `(initial)`), then one line per changed file.
  const status = (exclude: boolean) => execFileSync('git', ['status', '--porcelain=v2', '--branch', '--', ':/', ...(exclude ? [`:(exclude)${path.relative(dir, storeRoot)}`] : [])],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  let out: string;
  try {
    out = status(true);
  } catch (e) {
    // A store outside the repository (--store elsewhere) cannot be excluded, nor needs to be.
    if (!/outside repository/.test(String((e as { stderr?: Buffer }).stderr))) return undefined;
    try { out = status(false); } catch { return undefined; }
  }
  const lines = out.split('\n');
  const commit = lines.find((l) => l.startsWith('# branch.oid '))?.slice('# branch.oid '.length).trim();
  if (!commit || commit === '(initial)') return undefined;
  return { commit, dirty: lines.some((l) => l !== '' && !l.startsWith('#')) };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

/** Whether a run is owned by another live runner on this machine (then it is left alone). */
const ownedElsewhere = (host: string) => (r: RunRecord) => r.host === host && alive(r.runner_pid) && r.runner_pid !== process.pid;

/** The newest run of each trial of the plan's sweep, under its id or an older one. */
function planHistory(plan: Plan, store: RunSource): Map<string, RunRecord> {
  const ids = new Set([plan.sweepId, ...plan.legacySweepIds]);
  return latestByTrial(store.all().filter((r) => ids.has(r.sweep_id)));
}

/** What `run` would do with each trial of the plan now — the very decisions runPlan makes (dry run, plan, status). */
export function planDecisions(plan: Plan, store: RunSource, policy: RerunPolicy = DEFAULT_RERUN): ReturnType<typeof decideAll> {
  const scripts = new Map<string, string>();
  return decideAll(plan.trials, (t) => configHash(trialConfig(plan.experiment, t), plan.experimentFile, scripts),
    planHistory(plan, store), policy, ownedElsewhere(os.hostname()));
}

/**
 * Runs the plan's trials that need to run. Holds the sweep's lock (store/lock.ts) from before
 * anything is written until everything is: a second runner of the sweep gets a LockedError
 * naming this one, and runs nothing — else both would run every trial neither had started.
 */
export async function runPlan(plan: Plan, o: RunnerOptions): Promise<RunSummary> {
  const lock = await acquireLock(sweepLockFile(o.store.root, plan.sweepId));
  try {
    o.store.removeStaleBuilds();
    return await runLocked(plan, o);
  } finally {
    lock.release();
  }
}

async function runLocked(plan: Plan, o: RunnerOptions): Promise<RunSummary> {
  const { store } = o;
  const emit = o.onEvent ?? (() => undefined);
  const host = os.hostname();
  const git = gitInfo(path.dirname(plan.experimentFile), store.root);
  const target = o.target ?? localTarget();
  // A plain copy: every read of process.env is a call into the C++ environment.
  const baseEnv = { ...process.env };
  const inventory = o.gpus ?? await target.inventory();
  const sched = new Scheduler(effectiveParallel(plan, target, o.maxParallel), inventory?.length ? inventory : undefined, { held: true });
  const ahead = new Scheduler(2 * effectiveParallel(plan, target, o.maxParallel), undefined);
  const running = new Set<RunningAttempt>();
  const ports = new PortPool();
  const sampler = new TelemetrySampler({ intervalMs: o.telemetryIntervalMs });
  const summary: RunSummary = { succeeded: 0, failed: 0, cancelled: 0, skipped: 0, runs: [] };
  // Stopped by the caller (Ctrl-C, a cancel) or by a full disk: either way running attempts are
  // cancelled and queued ones never start; a full disk then ends the run with one message.
  const stop = new AbortController();
  const { signal } = stop;
  const onAbort = () => stop.abort();
  if (o.signal?.aborted) stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  signal.addEventListener('abort', () => { for (const r of running) r.cancel(); }, { once: true });
  let full: DiskFullError | undefined;
  /** A disk-full error stops the runner (the first one is what it says); any other is thrown. */
  const halt = (e: unknown) => {
    if (!(e instanceof DiskFullError)) throw e;
    full ??= e;
    stop.abort();
  };

  store.load();
  store.writeSweep(plan.sweepId, {
    id: plan.sweepId, name: plan.name, file: plan.file, experiment_file: plan.experimentFile, method: plan.method,
    trials: plan.trials.length, excluded: plan.excluded, max_parallel: effectiveParallel(plan, target, o.maxParallel), target: target.name, metric: plan.metric, runner_pid: process.pid, created: now(),
  }, plan.trials.map((t) => ({ index: t.index, key: t.key, name: t.name, repeat: t.repeat, params: t.params })));

  // Resume: the newest run of each trial decides what happens to it (see resume.ts).
  const latest = planHistory(plan, store);
  const policy = o.rerun ?? DEFAULT_RERUN;
  // Metrics from a Kafka topic: one consumer for the runner's life, started before any attempt so
  // that no record is produced before it is placed (kafka-metrics.ts).
  const mk = plan.experiment.metrics;
  const kafka = mk?.sources?.includes('kafka') && mk.kafka ? await KafkaMetrics.start({
    conn: mk.kafka, sweepId: plan.sweepId, sweepIds: new Set([plan.sweepId, ...plan.legacySweepIds]), existing: [...latest.values()],
    run: (id) => store.get(id), runDir: (id) => store.runDir(id), baseDir: path.dirname(plan.experimentFile),
  }) : undefined;
  const scripts = new Map<string, string>();

  let tablesDue = false;
  let tablesTimer: NodeJS.Timeout | undefined;
  const tables = () => {
    tablesDue = true;
    tablesTimer ??= setTimeout(() => { tablesTimer = undefined; if (tablesDue) { tablesDue = false; store.writeTables(); } }, 1000);
  };

  const one = async (trial: Trial): Promise<void> => {
    let config = trialConfig(plan.experiment, trial);
    const hash = configHash(config, plan.experimentFile, scripts);
    const decision = decide(latest.get(trial.key), hash, policy, owned);
    const prev = decision.prev;
    let run: RunRecord | undefined;
    let orphan: AttemptRecord | undefined;
    if (decision.action === 'skip') {
      summary.skipped++;
      emit({ type: 'skipped', trial, runId: prev!.id, reason: decision.reason });
      return;
    }
    if (prev && decision.action === 'resume') {
      // The runner that owned it is gone. Its last attempt may have finished without it, or may
      // still be running: adopt that result (never run a trial twice); else record it as interrupted.
      // The last recorded attempt, if unfinished; else one the runner may have started just
      // before it stopped, known only by its status files or its processes. (Whatever the
      // status: run.json is written in the background, so a runner that took the run up again
      // may have started an attempt before its `running` reached the disk.)
      const last = prev.attempts[prev.attempts.length - 1];
      if (last && !last.ended) orphan = last;
      else if (await target.leftTrace({ ...attemptRef(prev.id, prev.attempts.length + 1), ...trialRef(trial, config) })) {
        orphan = { n: prev.attempts.length + 1, started: prev.started ?? prev.created };
        prev.attempts.push(orphan);
      }
      run = { ...prev, status: 'queued' };
      store.removeStaleTemps(prev.id);
      fs.rmSync(path.join(store.runDir(prev.id), CANCEL_MARKER), { force: true }); // an earlier cancel does not stop it now
      store.save({ ...prev, status: 'interrupted' }, 'run-interrupted');
    }
    const need = pinnedGpus(config) ?? gpusRequested(config);
    let gpus: number[] | undefined;
    // A new run's folder (config, params, run.json) is made while it waits for its slot — up to
    // 2×max_parallel ahead — so a freed slot starts the next run without waiting on the file system.
    let prepared: Promise<RunRecord> | undefined;
    let aheadHeld = false;
    const leaveAhead = () => { if (aheadHeld) { aheadHeld = false; ahead.release(undefined); } };
    try {
      const slot = orphan ? sched.reclaim(prev!.gpus) : sched.acquire(need);
      if (!run) prepared = (async () => { await ahead.acquire(0); aheadHeld = true; return newRun(trial, config, hash); })();
      gpus = await slot;
    } catch (e) {
      run ??= newRun(trial, config, hash);
      run.status = 'failed';
      run.attempts.push({ n: run.attempts.length + 1, started: now(), ended: now(), failure_class: 'unschedulable', message: (e as Error).message });
      ended(run);
      return;
    }
    try {
      if (prepared) run = await prepared.finally(leaveAhead);
      if (signal.aborted) {
        // Stopped before it started: a run made ahead says so instead of staying queued.
        if (prepared && run) { run.status = 'cancelled'; run.ended = now(); store.save(run, 'run-ended'); }
        summary.cancelled++;
        return;
      }
      run ??= newRun(trial, config, hash);
      const dir = store.runDir(run.id);
      if (fs.existsSync(path.join(dir, CANCEL_MARKER))) {
        // `expctl cancel` of this run while it was queued: it never starts.
        ended(Object.assign(run, { status: 'cancelled', ended: now() }));
        return;
      }
      Object.assign(run, { status: 'running', started: run.started ?? now(), runner_pid: process.pid, gpus });
      // Journaled now; run.json says `running` with the first attempt's pid, one write later.
      // (A runner killed in between leaves a `queued` run whose attempt resume finds by its traces.)
      store.journal({ event: 'run-started', run_id: run.id, sweep_id: run.sweep_id, status: run.status });
      emit({ type: 'started', run, ...(decision.action === 'run' && decision.prev ? { reason: decision.reason } : {}) });
      const metricsFile = path.join(dir, METRICS_FILE);
      // A run taken up again re-reads its metrics from the sources' files (see MetricsCollector).
      const metrics = new MetricsCollector(dir, config.metrics?.sources, run.attempts.length > 0);
      kafka?.attach(run.id, metrics);
      /** Why the run's Kafka metrics may be incomplete. */
      let kafkaBehind: string | undefined;
      const telemetry = new TelemetryAccumulator();
      const maxAttempts = (config.retry?.max_retries ?? 0) + 1;
      let waited = 0;
      // What on_failure / on_oom changed, cumulative over the attempts. A run taken up again
      // continues from its latest attempt's changes rather than from the nominal config (an attempt
      // known only by its traces has no record of them).
      let changed = run.attempts.findLast((a) => a.params)?.params;
      let changedEnv = run.attempts.findLast((a) => a.env)?.env;
      if (changed || changedEnv) config = withChanges(config, changed, changedEnv);
      // Per attempt: on_failure may scale a numeric `timeout`.
      const attemptTimeout = () => (config.timeout !== undefined ? parseDuration(config.timeout) : undefined);
      let timeoutS = attemptTimeout();
      const onLine = (stream: 'stdout' | 'stderr', line: string) => {
        emit({ type: 'line', runId: run!.id, stream, line, ts: Date.now() });
        if (stream === 'stdout') metrics.stdoutLine(line);
      };
      // Attempts a stopped runner cut short do not count against max_retries.
      const counted = (a: AttemptRecord) => a.ended !== undefined && a.failure_class !== 'interrupted' && a.failure_class !== 'cancelled';
      for (let done = run.attempts.filter(counted).length; ;) {
        let attempt: AttemptRecord;
        let outcome: AttemptOutcome | undefined;
        /** Why the attempt is lost, if its end cannot be known. */
        let lost: string;
        // What a remote target reports as the attempt goes (pod phase, node): kept in run.json.
        const info = (k: K8sAttempt) => { attempt.k8s = k; store.save(run!, 'attempt-status'); };
        if (orphan) {
          attempt = orphan;
          // Owned from now on: run.json says running under this runner, so that status shows it,
          // `expctl cancel` stops it, and no other runner takes it up again.
          store.save(run, 'attempt-adopted', { attempt: attempt.n });
          outcome = await target.adopt({ ...attemptRef(run.id, attempt.n), ...trialRef(trial, config), timeoutS, record: attempt }, signal, onLine, info);
          orphan = undefined;
          lost = 'the runner stopped during this attempt, and the attempt did not finish';
        } else {
          const n = run.attempts.length + 1;
          // A runner killed during this attempt is succeeded by one that knows only what run.json
          // says: it must list every earlier attempt, so that this one is the one it looks for.
          // (For a first attempt any run.json will do: the successor looks for attempt 1.)
          if (n > 1) await store.settled(run.id);
          attempt = { n, started: now(), ...(waited ? { waited_s: waited } : {}), ...(changed ? { params: changed } : {}), ...(changedEnv ? { env: changedEnv } : {}), logs_from: logSizes(dir) };
          if (changed) run.effective_params = { ...run.params, ...changed };
          run.attempts.push(attempt);
          // A pod has a network namespace of its own: only local attempts need a free port here.
          attempt.port = target.kind === 'local' && needsPort(config) ? await ports.take() : undefined;
          if (changed) store.writeParams(run.id, config.params ?? {}); // $EXPCTL_PARAMS_FILE says what this attempt runs with
          const launch = buildLaunch(config, {
            file: plan.experimentFile, runId: run.id, runDir: dir, trialName: trial.name, index: trial.index, repeat: trial.repeat,
            attempt: n, paramsFile: path.join(dir, 'params.json'), metricsFile, gpus, baseEnv, port: attempt.port,
          });
          metrics.beginAttempt();
          const ra = target.submit({ ...attemptRef(run.id, n), ...trialRef(trial, config), launch, timeoutS, graceS: o.graceS }, onLine, info);
          running.add(ra);
          if (ra.handle) attempt.k8s = ra.handle;
          // A cancel may have come while this attempt was being started.
          if (signal.aborted || fs.existsSync(path.join(dir, CANCEL_MARKER))) ra.cancel();
          attempt.pid = await ra.pid;
          store.save(run, 'attempt-started', { attempt: n, pid: attempt.pid });
          emit({ type: 'attempt', run, attempt });
          // Only a local process group can be sampled here; remote targets report their own. The
          // sampler also holds resources.memory: a group whose RSS is over it is killed at once.
          const memory = config.resources?.memory;
          const limitBytes = memory !== undefined ? parseQuantity(memory) : undefined;
          let overMemory: AttemptOutcome['memoryExceeded'];
          const unwatch = target.kind === 'local' && attempt.pid ? sampler.watch(attempt.pid, gpus, telemetry, path.join(dir, 'telemetry.jsonl'), {
            startedMs: Date.parse(attempt.started),
            memoryLimit: limitBytes === undefined ? undefined : { bytes: limitBytes, exceeded: (rssBytes) => { overMemory = { rssBytes, limit: String(memory) }; ra.kill(); } },
          }) : undefined;
          outcome = await ra.done;
          metrics.endAttempt();
          unwatch?.();
          if (outcome && overMemory) outcome = { ...outcome, memoryExceeded: overMemory };
          running.delete(ra);
          ports.release(attempt.port);
          lost = 'the process watching this attempt was killed before it ended, so how it ended is unknown';
        }
        // Its last records may still be on their way through the metrics topic.
        if (kafka) kafkaBehind = await kafka.caughtUp();
        if (!outcome) {
          // Lost: it does not count against max_retries, and the trial runs again unless stopping.
          Object.assign(attempt, { ended: now(), failure_class: 'interrupted', message: lost });
          store.save(run, 'attempt-lost', { attempt: attempt.n });
          if (signal.aborted) { run.status = 'cancelled'; break; }
          continue;
        }
        const n = attempt.n;
        done++;
        // `expctl cancel <run>` leaves this marker before it signals the attempt.
        if (fs.existsSync(path.join(dir, CANCEL_MARKER))) outcome = { ...outcome, cancelled: true };
        let failure = classify(outcome);
        // A program whose output could not be written on a full disk failed for no fault of its
        // own: the attempt is interrupted (not counted against max_retries) and the runner stops.
        const free = failure && !signal.aborted ? freeBytes(dir) : undefined;
        if (free !== undefined && free < LOW_DISK_BYTES) {
          failure = { class: 'interrupted', message: `the disk was full when this attempt ended (${free} bytes free): its output could not be written` };
          halt(new DiskFullError(path.join(dir, 'stdout.log'), undefined, free));
          target.forget?.(attemptRef(run.id, attempt.n));
        }
        Object.assign(attempt, {
          ended: now(), exit_code: outcome.exitCode, signal: outcome.signal,
          duration_s: (Date.parse(now()) - Date.parse(attempt.started)) / 1000,
        });
        if (!failure) { run.status = 'succeeded'; break; }
        Object.assign(attempt, { failure_class: failure.class, message: failure.message, stderr_tail: outcome.stderrTail });
        if (failure.class === 'cancelled' || signal.aborted) { run.status = 'cancelled'; break; }
        if (done >= maxAttempts || !retryable(failure.class, config.retry?.on)) { run.status = 'failed'; break; }
        const next = applyOnFailure(config, failure.class, baseEnv);
        if (next && 'exhausted' in next) { run.status = 'failed'; attempt.message += `; ${next.exhausted}`; break; }
        if (next) {
          config = next.config;
          timeoutS = attemptTimeout();
          if (Object.keys(next.params).length) changed = { ...changed, ...next.params };
          if (Object.keys(next.env).length) changedEnv = { ...changedEnv, ...next.env };
        }
        waited = backoffSeconds(config.retry, n + 1, o.random);
        store.save(run, 'retry-scheduled', { wait_s: waited, failure: failure.class, ...(next ? { params: next.params, env: next.env } : {}) });
        emit({ type: 'retry', run, failure: failure.class, waitS: waited, ...(next ? { params: next.params, env: Object.keys(next.env) } : {}) });
        await sleep(waited * 1000, signal);
        if (signal.aborted) { run.status = 'cancelled'; break; }
      }
      const m = metrics.finish();
      Object.assign(run, { summary: m.summary, metrics_bad_lines: m.badLines, metrics_first_bad: m.firstBad, warnings: undefined, ended: now() });
      if (kafka) {
        kafka.detach(run.id);
        kafka.stats.duplicates += m.kafkaDuplicates ?? 0;
        if (kafkaBehind) run.warnings = [kafkaBehind];
      }
      const tel = await sampler.summary(telemetry);
      if (tel) run.telemetry = tel;
      run.duration_s = (Date.parse(run.ended!) - Date.parse(run.started!)) / 1000;
      // Derived metrics read the metrics, telemetry and duration above; the primary may be one of them.
      if (plan.derived.length) deriveIntoRun(run, plan.derived, config.params);
      // Exited 0 without its primary metric: a warning, or with metrics.required a failure — not
      // retried, since the same program would report the same names again.
      const missing = run.status === 'succeeded' ? missingPrimary(plan.metric?.name, run.summary) : undefined;
      if (missing && config.metrics?.required) {
        run.status = 'failed';
        Object.assign(run.attempts[run.attempts.length - 1], { failure_class: 'no_metric', message: `${missing} (metrics.required: true)` });
      } else if (missing) (run.warnings ??= []).unshift(missing);
      ended(run);
    } finally {
      sched.release(gpus);
    }
  };

  /** A run reached its final state: stored, counted, reported, and the tables due. */
  const ended = (run: RunRecord) => {
    store.save(run, 'run-ended');
    summary[run.status === 'succeeded' ? 'succeeded' : run.status === 'cancelled' ? 'cancelled' : 'failed']++;
    summary.runs.push(run);
    emit({ type: 'ended', run });
    tables();
  };

  const attemptRef = (runId: string, attempt: number): AttemptRef => ({ runId, attempt, runDir: store.runDir(runId) });
  const trialRef = (trial: Trial, config: Experiment): TrialRef => ({
    config, experimentFile: plan.experimentFile, sweepId: plan.sweepId, trial: { key: trial.key, name: trial.name, index: trial.index, repeat: trial.repeat },
  });
  const owned = ownedElsewhere(host);

  const newRun = (trial: Trial, config: Experiment, hash: string): RunRecord => {
    const id = store.newRunId(trial.name, trial.key);
    const rec: RunRecord = {
      schema_version: 1, id, sweep_id: plan.sweepId, experiment: plan.experiment.name, experiment_file: plan.experimentFile,
      trial: { index: trial.index, key: trial.key, name: trial.name, repeat: trial.repeat }, params: trial.params,
      target: target.name, status: 'queued', created: now(), attempts: [], host, runner_pid: process.pid, git, config_hash: hash, summary: {},
    };
    // params.json: every resolved param, nested as `{params.x}` sees them (swept paths outside
    // `params.` are in config.yaml). create() may give the run another id, if another runner took this one.
    store.create(rec, toYaml(config), config.params ?? {});
    return rec;
  };

  try {
    // Trials enter in order, a bounded number at a time: a queued trial is a plain object, not a
    // suspended function with its config — 10,000 of those kept the runner's heap, and V8's next
    // collection, tens of MB higher. Trials that may resume an attempt enter first, so that every
    // adopted attempt has reclaimed its GPUs before any is handed out.
    const resumes = (t: Trial) => { const r = latest.get(t.key); return !!r && unfinished(r); };
    const first = plan.trials.filter(resumes);
    const order = [...first, ...plan.trials.filter((t) => !resumes(t))];
    let next = 0;
    const worker = async () => {
      while (next < order.length) {
        try { await one(order[next++]); } catch (e) { halt(e); }
      }
    };
    // Enough at once for max_parallel running, 2×max_parallel prepared ahead and as many waiting.
    const width = first.length + 4 * effectiveParallel(plan, target, o.maxParallel);
    const all = Promise.all(Array.from({ length: Math.min(width, order.length) }, worker));
    sched.start();
    await all;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    target.close?.();
    clearTimeout(tablesTimer);
    if (kafka) {
      // What the topic holds now is taken in before the consumer goes (not when stopped by a cancel).
      if (!signal.aborted) await kafka.caughtUp();
      await kafka.stop();
      summary.notes = kafka.notes();
    }
    // Each is tried even after a full disk: space may have come back, and what fails is said once.
    for (const step of [() => store.flush(), () => store.writeTables(), () => store.updateSweep(plan.sweepId, { finished: now(), ...(kafka ? { metrics_kafka: kafka.stats } : {}) })]) {
      try { await step(); } catch (e) { halt(e); }
    }
  }
  if (full) throw full;
  return summary;
}

/** Below this much free space, a failed attempt is taken to have failed for the full disk (a page or two may be left). */
const LOW_DISK_BYTES = 64 * 1024;

/** Runs at once: --max-parallel if given, else the plan's max_parallel within the target's own cap. */
export function effectiveParallel(plan: Plan, target: Target, flag?: number): number {
  return flag ?? Math.min(plan.maxParallel, target.maxParallel ?? Infinity);
}

/**
 * Makes sure the folder for the store exists and returns the store. A new store (nothing journaled
 * yet) gets a `.gitignore` of `*`, so that results do not flood version control; one the user
 * changed is never overwritten, and one the user deleted is not written again.
 */
export function openStore(root: string): FileStore {
  fs.mkdirSync(root, { recursive: true });
  const store = new FileStore(root);
  if (!fs.existsSync(store.journalFile)) {
    try { fs.writeFileSync(path.join(root, '.gitignore'), '*\n', { flag: 'wx' }); } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return store;
}

/** Where the next attempt's output will start in the run's shared logs (so that they can be shown per attempt). */
function logSizes(dir: string): { stdout: number; stderr: number } {
  const size = (name: string) => fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.size ?? 0;
  return { stdout: size('stdout.log'), stderr: size('stderr.log') };
}
