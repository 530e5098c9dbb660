// Where attempts run. The runner schedules (max_parallel, GPUs, retries, resume) and keeps the
// store; a Target only starts, follows, stops and collects one attempt at a time — so a Kubernetes
// target (Jobs / PyTorchJobs) plugs in beside the local one without touching the scheduler.
import type { AttemptOutcome } from '../runner/failure';
import type { LaunchSpec } from '../runner/launch';
import type { Experiment } from '../config/types';
import type { AttemptRecord, K8sAttempt } from '../store/store';

export type LineSink = (stream: 'stdout' | 'stderr', line: string) => void;

/** One attempt of one run. */
export interface AttemptRef {
  runId: string;
  attempt: number;
  /** The run's folder in the store: logs go to stdout.log / stderr.log there. */
  runDir: string;
}

/** What a remote target builds its workload from (the local one needs only the launch). */
export interface TrialRef {
  /** The trial's resolved config, with what on_failure changed for this attempt. */
  config: Experiment;
  experimentFile: string;
  sweepId: string;
  trial: { key: string; name: string; index: number; repeat: number };
}

/** What a remote target reports about an attempt as it goes (pod phase, node). */
export type InfoSink = (info: K8sAttempt) => void;

export interface AttemptRequest extends AttemptRef, TrialRef {
  launch: LaunchSpec;
  /** Wall-clock limit in seconds; undefined = none. */
  timeoutS?: number;
  /** Seconds between SIGTERM and SIGKILL (default 10). */
  graceS?: number;
}

export interface RunningAttempt {
  /** The local process group's leader once started; undefined for remote targets or when it could not start. */
  pid: Promise<number | undefined>;
  /**
   * The status stream's end: resolves once the attempt has ended and its logs are read; undefined
   * when how it ended cannot be known (what watched it locally was killed) — a lost attempt, as after a reboot.
   */
  done: Promise<AttemptOutcome | undefined>;
  /** Stops it: SIGTERM, then SIGKILL after the grace. */
  cancel(): void;
  /** Stops it at once, with no grace (SIGKILL to its process group): it broke a limit such as resources.memory. */
  kill(): void;
  /** A remote attempt's workload (recorded in run.json before it is created, so `expctl cancel` finds it). */
  handle?: K8sAttempt;
}

export interface Target {
  readonly name: string;
  readonly kind: 'local' | 'kubernetes';
  /** The target's own cap on runs at once (targets.yaml `max_parallel`), if any. */
  readonly maxParallel?: number;
  /** GPU indices to schedule on; undefined = CPU-only runs. */
  inventory(): Promise<number[] | undefined>;
  /** Starts an attempt; its output lines go to `onLine` as they come (the log stream). */
  submit(req: AttemptRequest, onLine: LineSink, onInfo?: InfoSink): RunningAttempt;
  /**
   * Resume: waits for an attempt a stopped runner left behind (enforcing what is left of its
   * timeout and the abort signal). Undefined when it is lost: never finished and nothing left running.
   */
  adopt(ref: AttemptRef & TrialRef & { timeoutS?: number; record: AttemptRecord }, signal?: AbortSignal, onLine?: LineSink, onInfo?: InfoSink): Promise<AttemptOutcome | undefined>;
  /**
   * Forgets how an ended attempt ended (locally: its status file), so that a successor runner does
   * not adopt that ending: the runner declared the attempt interrupted (its disk was full) but
   * could not write that down. Deleting needs no space.
   */
  forget?(ref: AttemptRef): void;
  /** Whether attempt `ref.attempt` left any trace (a status file, a process, a Job) — one a runner started just before it died. */
  leftTrace(ref: AttemptRef & TrialRef): boolean | Promise<boolean>;
  /** Stops an attempt from outside the runner that started it (`expctl cancel`); `config`: the run's config.yaml, if a remote target needs it. */
  cancelAttempt(runId: string, attempt: AttemptRecord | undefined, nextAttempt: number, config?: Experiment): void | Promise<void>;
  /** Checks, before anything is launched, that the plan's trials can run here (a cluster: reachable, permissions, GPUs); throws a PreflightError. */
  preflight?(configs: Experiment[]): Promise<{ notes: string[] }>;
  /** Ends what the target holds for the whole run (watches); called once the runner is done. */
  close?(): void;
  /** Brings results back into the run's folder once it ended (nothing to do locally). */
  collect(runId: string, runDir: string): Promise<void>;
}
