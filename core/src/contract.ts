// The JSON the CLI prints for programs (`expctl run --detach --json`), versioned: the extension
// parses exactly these types, never the CLI's human output. Add fields freely; change or remove
// one only with a new version.
import type { TrialState } from './runner/resume';

export const CLI_JSON_VERSION = 1;

/** `expctl run FILE --detach --json`: a runner was started in the background, or there was nothing to run. */
export type DetachResult =
  | { version: 1; status: 'started'; sweep_id: string; name: string; pid: number; log: string; store: string; trials: number; to_run: number }
  | { version: 1; status: 'nothing-to-run'; sweep_id: string; name: string; store: string; trials: number; states: Record<TrialState, number>; message: string };
