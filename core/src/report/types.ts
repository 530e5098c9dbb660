// The campaign report as JSON: what the CLI prints with --json, what the webview charts, and what
// the Markdown is rendered from. Hours are execution hours (see compute.ts); rates are fractions
// in [0, 1], or null when their denominator is zero. Keep changes additive: users script on it.

/** One value per attempt, summarised (numpy 'linear' quantiles). */
export interface Distribution {
  count: number;
  min: number;
  mean: number;
  median: number;
  p95: number;
  max: number;
}

export interface GpuTypeStats {
  /** GPU Device Name as reported; `(none)` when the cell is empty. */
  device: string;
  attempts: number;
  hours: number;
  gpuHours: number;
  unsuccessfulHours: number;
  /** Successful execution hours / (successful + unsuccessful) hours. */
  successRate: number | null;
  attemptSuccessRate: number | null;
  /** Most frequent GPU Memory MB reported with this device (post_experiment_csv sums it over the job's GPUs). */
  memoryMb: number | null;
  /** Most frequent GPU Capability reported with this device. */
  capability: string | null;
}

/** Requested against used, over attempts that report both (HTCondor RequestMemory and MemoryUsage, and the like). */
export interface UsageStats {
  attempts: number;
  requestedMean: number;
  usedMean: number;
  /** used / requested per attempt (requested > 0). */
  usedShare: Distribution | null;
  /** Attempts that used more than they requested. */
  overRequest: number;
}

/**
 * Figures from the optional columns, for a resource and a job type alike; null (or usage fields
 * null) when the file has no such column or no attempt reports it.
 */
export interface EfficiencyStats {
  /** GPU Utilization (%) per attempt. */
  gpuUtilization: Distribution | null;
  /** GPU efficiency: busy GPU-hours / allocated GPU-hours = Σ exec s × GPUs × utilisation / Σ exec s × GPUs, over attempts with a utilisation. */
  gpuEfficiency: number | null;
  /** Σ exec h × GPUs × utilisation / 100: the numerator of gpuEfficiency. */
  busyGpuHours: number;
  /** Peak GPU memory used per attempt, MiB. */
  gpuMemoryUsedMb: Distribution | null;
  /** GPU Memory Used MB / GPU Memory MB per attempt (a fraction). */
  gpuMemoryUtilization: Distribution | null;
  /** Transfer Input Duration (seconds) per attempt. */
  transferInput: Distribution | null;
  transferInputHours: number;
  /** Share of time moving input: Σ transfer s / Σ (transfer s + execution s), over attempts with a transfer time. */
  transferShare: number | null;
  /** Input transfer rate, bytes/s: Σ Total Bytes Received / Σ transfer s, over attempts with both and a transfer time > 0. */
  transferRate: number | null;
  usage: { memory: UsageStats | null; cpus: UsageStats | null; disk: UsageStats | null };
}

export interface ResourceStats extends EfficiencyStats {
  resource: string;
  attempts: number;
  successfulAttempts: number;
  unsuccessfulAttempts: number;
  /** queued / running / idle / submitted: neither successful nor unsuccessful yet. */
  pendingAttempts: number;
  /** Σ Epochs Completed over successful attempts. */
  epochs: number;
  /** Σ execution seconds / 3600 over all attempts. */
  hours: number;
  successfulHours: number;
  unsuccessfulHours: number;
  /** Σ execution hours × Number of GPUs (attempts without a GPU count contribute nothing). */
  gpuHours: number;
  /** Σ Total Duration (submit → end) / 3600: execution plus queueing. */
  wallHours: number;
  successRate: number | null;
  attemptSuccessRate: number | null;
  /** hours / epochs. */
  hoursPerEpoch: number | null;
  /** Attempts per final status (lowercased). */
  statusCounts: Record<string, number>;
  /** Execution hours per final status. */
  statusHours: Record<string, number>;
  bytesSent: number;
  bytesReceived: number;
  /** Sorted by hours, most first. */
  gpuMix: GpuTypeStats[];
  gpuMemoryMb: Distribution | null;
}

export interface JobTypeStats extends EfficiencyStats {
  jobType: string;
  attempts: number;
  successfulAttempts: number;
  unsuccessfulAttempts: number;
  epochs: number;
  hours: number;
  successfulHours: number;
  unsuccessfulHours: number;
  gpuHours: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface DailyCounts {
  attempts: number;
  epochs: number;
  cumulativeEpochs: number;
  hours: number;
  bytesSent: number;
  bytesReceived: number;
  /** Σ Transfer Input Duration / 3600. */
  transferHours: number;
}

export interface DailyPoint extends DailyCounts {
  /** UTC day, YYYY-MM-DD, of the attempt's Start Time (else Submit Time). */
  date: string;
  byResource: Record<string, DailyCounts>;
}

/** A row left out of the report, or a cell that made it so. */
export interface RowProblem {
  line: number;
  /** The header name as written in the file. */
  column?: string;
  value?: string;
  message: string;
}

export type Severity = 'high' | 'medium' | 'low';

export interface Recommendation {
  /** Stable rule id, e.g. `eviction-cost`. */
  rule: string;
  severity: Severity;
  resource?: string;
  text: string;
  /** The figures the text quotes, unrounded. */
  numbers: Record<string, number>;
}

export interface Summary {
  headline: string;
  /** One line per resource, most hours first. */
  insights: string[];
  /** Most severe first, then by hours at stake. */
  recommendations: Recommendation[];
}

export interface CampaignReport {
  version: 1;
  title: string;
  source: {
    /** Name of the column mapping used: `htcondor`, `expctl-runs`, or a custom mapping's name. */
    mapping: string;
    /** The header each field was read from; fields the file lacks are absent. */
    columns: Record<string, string>;
    /** Data records in the file, good or bad. */
    rowsRead: number;
    /** Records left out because of a bad row or value. */
    rowsSkipped: number;
    /** Good records outside the filters. */
    rowsFilteredOut: number;
    /** Records in the report. */
    rowsUsed: number;
  };
  filters: { from?: string; to?: string; resources?: string[] };
  /** First and last attempt time (Start Time, else Submit Time) in the report, ISO 8601 UTC. */
  period: { first: string | null; last: string | null };
  problems: { total: number; shown: RowProblem[] };
  overall: ResourceStats;
  /** Most hours first. */
  resources: ResourceStats[];
  /** Most hours first. */
  jobTypes: JobTypeStats[];
  /** Every UTC day from the first attempt to the last, empty days included. */
  daily: DailyPoint[];
  /** Attempts with neither Start Time nor Submit Time: in every total, in no day. */
  undatedAttempts: number;
  summary: Summary;
  /** `--derive` metrics, in the order given; absent when none were asked for. */
  derived?: DerivedStats[];
}

/** A derived metric over the report's attempts (`report --derive NAME=EXPR`). */
export interface DerivedStats {
  name: string;
  expression: string;
  /** Over the attempts that have a value. */
  overall: Distribution | null;
  /** Per resource, resources with at least one value, by name. */
  resources: Array<{ resource: string; values: Distribution }>;
  /** Attempts without a value, and why (e.g. "execSeconds is missing": 3). */
  missing: number;
  reasons: Record<string, number>;
}
