// The one message contract between the extension (client/src/panels/) and the webview panels
// (webviews/src/): both sides import these types, so a field renamed on one side fails to compile on
// the other. Everything here is JSON: it crosses postMessage and is persisted by getState/setState.
//
// Handshake: the webview posts `ready` once its script runs (again after every reload — a hidden
// panel is destroyed, retainContextWhenHidden being off); the host answers with `init` carrying
// everything, and posts nothing before that. `update` then carries live changes.
import type { Goal } from '../../core/src/config/types';
import type { CampaignReport, ReportFilters } from '../../core/src/report';
import type { SweepStatus } from '../../core/src/runner/status';
import type { TelemetryRecord } from '../../core/src/runner/telemetry';
import type { RunRecord } from '../../core/src/store/store';

export type PanelKind = 'run' | 'sweep' | 'compare' | 'campaign';

export const VIEW_TYPES: Readonly<Record<PanelKind, string>> = {
  run: 'expctl.run', sweep: 'expctl.sweep', compare: 'expctl.compare', campaign: 'expctl.campaign',
};

/** What a panel shows: one panel per key (opening it again reveals it). */
export interface PanelKeys {
  run: { runId: string };
  sweep: { sweepId: string };
  /** Sorted and without duplicates, so that one selection is one key. */
  compare: { runIds: string[]; sweepIds: string[] };
  /** The CSV's file system path. */
  campaign: { csv: string };
}

/** Points as two parallel arrays: half the JSON of `{x, y}` objects for 10,000-point series. */
export interface Series {
  x: number[];
  y: number[];
  /** x are the records' `step`s; absent: the metric was reported without one and x counts its reports (0, 1, 2…). */
  steps?: boolean;
}

/** A run as tables and comparisons need it (RunRecord's field names, so key paths such as `sweep_id`, `params.lr` or `trial.name` group the same as in the CLI); attempts are counted, not sent. */
export type RunRow = Pick<RunRecord, 'id' | 'sweep_id' | 'experiment' | 'trial' | 'params' | 'status' | 'target' | 'created' | 'started' | 'ended' | 'duration_s' | 'summary'> & {
  attempt_count: number;
  /** Of the last attempt. */
  failure_class?: string;
  exit_code?: number | null;
};

export interface SweepInfo {
  id: string;
  name: string;
  metric?: { name: string; goal: Goal };
  /** Runs at once it was allowed (sweep.json). */
  maxParallel?: number;
  total: number;
  counts: SweepStatus['counts'];
  best?: SweepStatus['best'];
  /** Whether its runner is still going. */
  live: boolean;
}

export interface RunData {
  run: RunRecord;
  sweep?: SweepInfo;
  /** config.yaml as it ran ('' when missing). */
  config: string;
  /** Per metric, over `step` (else the report's position). */
  metrics: Record<string, Series>;
  telemetry: TelemetryRecord[];
}

export interface SweepData { sweep: SweepInfo; runs: RunRow[] }

/** One metric of several runs, for curves. */
export interface Curves {
  metric: string;
  /** Per run id; in an update, the points added since the last one (unless `reset`). */
  runs: Record<string, Series>;
  reset: boolean;
  /** Runs left out of the curves (there is a cap). */
  omitted: number;
}

export interface CompareData {
  sweeps: SweepInfo[];
  runs: RunRow[];
  /** Selected sweeps and runs no store has (`run <id>`, `sweep <id>`). */
  missing: string[];
  curves?: Curves;
}

export interface CampaignData {
  /** The CSV's file name. */
  file: string;
  /** Every resource in the file, for the filter (the report lists only those it kept). */
  resources: string[];
  /** First and last attempt time in the whole file. */
  period: { first: string | null; last: string | null };
  filters: ReportFilters;
  report?: CampaignReport;
  /** Why there is no report (a bad CSV) or why the filters were refused (a bad date). */
  error?: string;
}

export interface PanelData { run: RunData; sweep: SweepData; compare: CompareData; campaign: CampaignData }

export interface PanelUpdates {
  /** The record when it changed; metric points and telemetry samples appended since the last message. */
  run: { run?: RunRecord; metrics: Record<string, Series>; telemetry: TelemetryRecord[] };
  /** Replaces the runs (and the sweep's status). */
  sweep: SweepData;
  /** Sweeps, runs and missing replace the old ones; curves append unless reset. */
  compare: Partial<CompareData>;
  campaign: Pick<CampaignData, 'filters' | 'report' | 'error'>;
}

/** Settings that do not depend on the theme (colours come from CSS variables in the webview). */
export interface PanelSettings {
  /** How often the host looks for new data (ms); updates are also throttled to 4 a second. */
  liveUpdateMs: number;
  /** Bootstrap of the median difference in comparisons: resamples and seed (same seed, same interval). */
  resamples: number;
  seed: number;
}

export type InitMessage<K extends PanelKind = PanelKind> = {
  [P in K]: { type: 'init'; kind: P; key: PanelKeys[P]; title: string; data: PanelData[P]; settings: PanelSettings }
}[K];

export type UpdateMessage<K extends PanelKind = PanelKind> = { [P in K]: { type: 'update'; kind: P; data: PanelUpdates[P] } }[K];

export type ToWebview =
  | InitMessage
  | UpdateMessage
  /** The thing to show is not (or no longer) in any results store; init follows when it appears. */
  | { type: 'missing'; message: string }
  /** The outcome of an `export`: saved to `file`, cancelled (ok false, no message) or failed. */
  | { type: 'exported'; ok: boolean; name: string; file?: string; message?: string };

export type ExportFormat = 'png' | 'csv' | 'json';

export type FromWebview =
  | { type: 'ready' }
  /** PNG data is base64 (no `data:` prefix); CSV and JSON are text. `name` is a file name without extension. */
  | { type: 'export'; format: ExportFormat; name: string; data: string }
  | { type: 'openRun'; runId: string }
  | { type: 'showLogs'; runId: string }
  /** Campaign panel: build the report again with these filters (the CSV is parsed once, on the host). */
  | { type: 'refilter'; filters: ReportFilters }
  /** Compare panel: curves of another metric. */
  | { type: 'curves'; metric: string };

/** UI choices a panel keeps across reloads and editor restarts. */
export interface UiStates {
  run: Record<string, never>;
  sweep: { sort?: { column: string; desc: boolean }; text?: string; status?: string; scatterParam?: string };
  /** `by`: `sweep`, `run` (each run's reports are its values), or a parameter path. */
  compare: { metric?: string; by?: string; reduce?: 'final' | 'min' | 'max' | 'mean'; goal?: Goal; rank?: 'median' | 'mean' };
  campaign: { filters?: ReportFilters };
}

/** What the webview keeps with vscode.setState; the host's WebviewPanelSerializer restores a panel from `kind` and `key`. */
export type WebviewState<K extends PanelKind = PanelKind> = { [P in K]: { kind: P; key: PanelKeys[P]; ui: UiStates[P] } }[K];
