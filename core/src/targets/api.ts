// Where attempts run. The runner schedules (max_parallel, GPUs, retries, resume) and keeps the
// store; a Target only starts, follows, stops and collects one attempt at a time — so a Kubernetes
// target (Jobs / PyTorchJobs) plugs in beside the local one without touching the scheduler.
import type { AttemptOutcome } from '../runner/failure';
import type { LaunchSpec } from '../runner/launch';
import type { AttemptRecord } from '../store/store';

export type LineSink = (stream: 'stdout' | 'stderr', line: string) => void;

/** One attempt of one run. */
export interface AttemptRef {
  runId: string;
  attempt: number;
  /** The run's folder in the store: logs go to stdout.log / stderr.log there. */
  runDir: string;
}

export interface AttemptRequest extends AttemptRef {
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
}

export interface Target {
  readonly name: string;
  readonly kind: 'local' | 'kubernetes';
  /** The target's own cap on runs at once (targets.yaml `max_parallel`), if any. */
  readonly maxParallel?: number;
  /** GPU indices to schedule on; undefined = CPU-only runs. */
  inventory(): Promise<number[] | undefined>;
  /** Starts an attempt; its output lines go to `onLine` as they come (the log stream). */
  submit(req: AttemptRequest, onLine: LineSink): RunningAttempt;
  /**
   * Resume: waits for an attempt a stopped runner left behind (enforcing what is left of its
   * timeout and the abort signal). Undefined when it is lost: never finished and nothing left running.
   */
  adopt(ref: AttemptRef & { timeoutS?: number; record: AttemptRecord }, signal?: AbortSignal): Promise<AttemptOutcome | undefined>;
  /** Whether attempt `ref.attempt` left any trace (a status file, a process) — one a runner started just before it died. */
  leftTrace(ref: AttemptRef): boolean;
  /** Stops an attempt from outside the runner that started it (`expctl cancel`). */
  cancelAttempt(runId: string, attempt: AttemptRecord | undefined, nextAttempt: number): void;
  /** Brings results back into the run's folder once it ended (nothing to do locally). */
  collect(runId: string, runDir: string): Promise<void>;
}
