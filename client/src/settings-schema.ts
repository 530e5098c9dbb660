// The extension's settings: key and default of each, in one vscode-free table that settings.ts reads
// and a unit test checks against package.json's `contributes.configuration`.
export const SETTINGS = {
  /** Results store folder; '' = `.expctl` in the nearest folder with `.expctl` or `.git` (as the CLI). */
  resultsFolder: { key: 'results.folder', default: '' },
  /** Runs at once; 0 = the sweep's max_parallel. */
  maxParallel: { key: 'run.maxParallel', default: 0 },
  /** GPUs to schedule on: '' = the target's or nvidia-smi's; `0,1`; `none`. */
  gpus: { key: 'run.gpus', default: '' },
  /** Milliseconds between refreshes of the view, status bar, lenses and live panels. */
  liveUpdateMs: { key: 'live.updateIntervalMs', default: 1000 },
  /** A targets.yaml to use instead of the nearest one; '' = the nearest. */
  targetsFile: { key: 'targets.file', default: '' },
} as const;

export type Settings = { -readonly [K in keyof typeof SETTINGS]: (typeof SETTINGS)[K]['default'] extends string ? string : number };
