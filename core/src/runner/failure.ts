// Why an attempt failed, whether to retry it, and how long to wait first.
import type { Retry } from '../config/types';
import { bytes } from '../report/format';

/**
 * `oom`, `timeout`, `signal`, `exit:N`, `spawn_error` or `cancelled`; on Kubernetes also `evicted`
 * (retryable), and `unschedulable`, `image_error`, `config_error` (not: the same spec fails the same way).
 */
export type FailureClass = 'oom' | 'timeout' | 'signal' | 'spawn_error' | 'cancelled' | 'interrupted' | 'evicted' | 'unschedulable' | 'image_error' | 'config_error' | `exit:${number}`;

export interface Failure { class: FailureClass; message: string }

export interface AttemptOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  /** The error `spawn` reported (ENOENT, EACCES, …), if the program never started. */
  spawnError?: NodeJS.ErrnoException;
  /** The last lines of stderr. */
  stderrTail: string;
  /** argv[0], for messages. */
  program: string;
  /** Killed by the runner for using more than `resources.memory` (its processes' RSS then; the limit as written). */
  memoryExceeded?: { rssBytes: number; limit: string };
  /** How it failed, when the target knows better than an exit code can say (a pod OOMKilled, evicted, unschedulable). */
  failure?: Failure;
}

// The last alternative is a Python exception line naming MemoryError or a subclass
// (`MemoryError: …`, `numpy.core._exceptions._ArrayMemoryError: Unable to allocate …`).
const OOM_TEXT = /CUDA out of memory|OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED|HIP out of memory|Out of memory: Killed process|^(?:[\w.]+\.)?\w*MemoryError\b/im;

/** undefined when the attempt succeeded. */
export function classify(o: AttemptOutcome): Failure | undefined {
  if (o.cancelled) return { class: 'cancelled', message: 'cancelled' };
  if (o.spawnError) return { class: 'spawn_error', message: spawnMessage(o.spawnError, o.program) };
  if (o.failure) return o.failure;
  if (o.memoryExceeded) return { class: 'oom', message: `used ${bytes(o.memoryExceeded.rssBytes)} (RSS of its processes), over resources.memory ${o.memoryExceeded.limit}: killed` };
  if (o.timedOut) return { class: 'timeout', message: 'exceeded its timeout and was terminated' };
  if (o.exitCode === 0 && !o.signal) return undefined;
  // The OOM killer sends SIGKILL (a shell reports it as exit 137); CUDA OOM is a Python exception.
  if (OOM_TEXT.test(o.stderrTail) || o.signal === 'SIGKILL' || o.exitCode === 137) {
    return { class: 'oom', message: OOM_TEXT.test(o.stderrTail) ? `out of memory: ${OOM_TEXT.exec(o.stderrTail)![0]}` : 'killed by SIGKILL (most likely the out-of-memory killer)' };
  }
  if (o.signal) return { class: 'signal', message: `killed by ${o.signal}` };
  return { class: `exit:${o.exitCode ?? -1}`, message: `exited with code ${o.exitCode}` };
}

function spawnMessage(e: NodeJS.ErrnoException, program: string): string {
  switch (e.code) {
    case 'ENOENT': return `cannot start "${program}": no such program or file (is it installed and on PATH, or is workdir wrong?)`;
    case 'EACCES': return `cannot start "${program}": permission denied (make it executable: chmod +x ${program})`;
    case 'ENOEXEC': return `cannot start "${program}": not an executable format (add a #! line)`;
    default: return `cannot start "${program}": ${e.message}`;
  }
}

/** Whether a failure of this class is retried under `retry.on` (omitted: every failure). */
export function retryable(cls: FailureClass, on: Retry['on']): boolean {
  // Retrying cannot help: the same spec meets the same refusal.
  if (['cancelled', 'spawn_error', 'unschedulable', 'image_error', 'config_error'].includes(cls)) return false;
  if (!on) return true;
  const code = cls.startsWith('exit:') ? Number(cls.slice(5)) : undefined;
  return on.some((x) => x === cls || (x === 'nonzero' && code !== undefined) || (typeof x === 'number' && x === code));
}

/** Seconds to wait before attempt `attempt` (2, 3, …): initial × base ** (attempt-2) capped, plus jitter. */
export function backoffSeconds(retry: Retry | undefined, attempt: number, random: () => number = Math.random): number {
  const initial = retry?.backoff_initial_s ?? 1;
  const base = retry?.backoff_base_s ?? 2;
  const cap = retry?.max_backoff_s ?? 300;
  // The wait before retry n (attempt n+1) is initial × base ** (n-1).
  const wait = Math.min(initial * base ** Math.max(0, attempt - 2), cap);
  const j = retry?.jitter === true ? 1 : typeof retry?.jitter === 'number' ? retry.jitter : 0;
  return wait + wait * j * random();
}
