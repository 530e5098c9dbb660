// The JSON the CLI prints for programs (`expctl … --json`), versioned: the extension parses exactly
// these types, never the CLI's human output. Add fields freely; change or remove one only with a
// new version. Type-only imports, so that a program reading them bundles nothing of core.
import type { TrialState } from './runner/resume';
import type { Plan } from './runner/runner';
import type { SweepStatus } from './runner/status';
import type { RunRecord } from './store/store';

export const CLI_JSON_VERSION = 1;

/** `expctl run FILE --detach --json`: a runner was started in the background, or there was nothing to run. */
export type DetachResult =
  | { version: 1; status: 'started'; sweep_id: string; name: string; pid: number; log: string; store: string; trials: number; to_run: number }
  | { version: 1; status: 'nothing-to-run'; sweep_id: string; name: string; store: string; trials: number; states: Record<TrialState, number>; message: string };

/** One trial of a plan; `state` only when a results store was there to compare with. */
export interface PlanTrial { index: number; name: string; key: string; repeat: number; params: Record<string, unknown>; state?: TrialState }

/**
 * `expctl plan FILE --json`, and the language server's `expctl/plan` request: the trials a sweep or
 * experiment expands to — `trials` holds the first `--limit` of `total`.
 */
export interface PlanResult {
  version: 1;
  file: string;
  kind: 'sweep' | 'experiment';
  name: string;
  /** grid | random | list, or `experiment`. */
  method: string;
  max_parallel: number;
  sweep_id: string;
  total: number;
  excluded: number;
  trials: PlanTrial[];
}

/** `expctl cancel ID --json`: the runs (of the sweep or the run ID) that were running or queued and are being stopped. */
export interface CancelResult { version: 1; id: string; kind: 'sweep' | 'run'; cancelled: string[] }

/** `expctl status [SWEEP] --json` (with --watch, one such object per change). */
export interface StatusResult { version: 1; store: string; sweeps: SweepStatus[] }

/** `expctl ls --json`: the runs, oldest first, and the run.json files that could not be read. */
export interface LsResult { version: 1; store: string; runs: RunRecord[]; damaged: Array<{ file: string; why: string }> }

/**
 * What any `--json` command prints on stdout when it fails with a user error (exit 1 or 2; the same
 * text goes to stderr for people): `message` is the error, whole — a preflight lists one problem
 * per line, a file that cannot run has its diagnostics first, one per line.
 */
export interface ErrorResult { version: 1; status: 'error'; exit_code: number; message: string }

/** A plan in its JSON form (the first `trials` of it; states in the same order, when known). */
export function planResult(plan: Plan, states?: TrialState[]): PlanResult {
  return {
    version: CLI_JSON_VERSION, file: plan.file, kind: plan.method === 'experiment' ? 'experiment' : 'sweep', name: plan.name, method: plan.method,
    max_parallel: plan.maxParallel, sweep_id: plan.sweepId, total: plan.total, excluded: plan.excluded,
    trials: plan.trials.map((t, i) => ({ index: t.index, name: t.name, key: t.key, repeat: t.repeat, params: t.params, ...(states ? { state: states[i] } : {}) })),
  };
}
