// Which header holds which field. The report reads canonical fields; a mapping names the header
// for each. Headers match case-, space- and underscore-insensitively ("job_name" finds "Job Name").

export const FIELDS = [
  'jobName', 'dagSource', 'clusterId', 'attemptSequence', 'status', 'resource',
  'submitTime', 'startTime', 'endTime', 'execSeconds', 'totalSeconds',
  'bytesSent', 'bytesReceived', 'gpus', 'gpuDevice', 'gpuMemoryMb', 'gpuCapability',
  'heldTime', 'releasedTime', 'evictedTime', 'abortedTime',
  'transferStart', 'transferEnd', 'transferSeconds', 'epochs',
  // optional usage columns (HTCondor ClassAds RequestMemory/MemoryUsage…, nvidia-smi): MB are read as MiB, as both tools mean them
  'gpuUtilization', 'gpuMemoryUsedMb', 'requestMemoryMb', 'memoryUsedMb', 'requestCpus', 'cpusUsed', 'requestDiskMb', 'diskUsedMb',
] as const;

export type Field = (typeof FIELDS)[number];

export type FieldKind = 'text' | 'time' | 'number';

export const FIELD_KIND: Record<Field, FieldKind> = {
  jobName: 'text', dagSource: 'text', clusterId: 'text', attemptSequence: 'text', status: 'text', resource: 'text',
  submitTime: 'time', startTime: 'time', endTime: 'time', execSeconds: 'number', totalSeconds: 'number',
  bytesSent: 'number', bytesReceived: 'number', gpus: 'number', gpuDevice: 'text', gpuMemoryMb: 'number', gpuCapability: 'text',
  heldTime: 'time', releasedTime: 'time', evictedTime: 'time', abortedTime: 'time',
  transferStart: 'time', transferEnd: 'time', transferSeconds: 'number', epochs: 'number',
  gpuUtilization: 'number', gpuMemoryUsedMb: 'number', requestMemoryMb: 'number', memoryUsedMb: 'number',
  requestCpus: 'number', cpusUsed: 'number', requestDiskMb: 'number', diskUsedMb: 'number',
};

export interface ColumnMapping {
  name: string;
  /** Header for each field. */
  columns: Partial<Record<Field, string>>;
  /** Status values renamed before anything else (keys lowercase), e.g. expctl's `succeeded` → `completed`. */
  statusValues?: Record<string, string>;
  /** Number fields written as a space-separated list whose length is the value (runs.csv `gpus`: "0 1 2" → 3). */
  listCount?: Field[];
}

/** `job_summary.csv` from HTCondor's post_experiment_csv.py. */
export const HTCONDOR_MAPPING: ColumnMapping = {
  name: 'htcondor',
  columns: {
    jobName: 'Job Name', dagSource: 'DAG Source', clusterId: 'HTCondor Cluster ID', attemptSequence: 'Attempt Sequence',
    status: 'Final Status', resource: 'Targeted Resource',
    submitTime: 'Submit Time', startTime: 'Start Time', endTime: 'End Time',
    execSeconds: 'Execution Duration (seconds)', totalSeconds: 'Total Duration (seconds)',
    bytesSent: 'Total Bytes Sent', bytesReceived: 'Total Bytes Received',
    gpus: 'Number of GPUs', gpuDevice: 'GPU Device Name', gpuMemoryMb: 'GPU Memory MB', gpuCapability: 'GPU Capability',
    heldTime: 'Held Time', releasedTime: 'Released Time', evictedTime: 'Evicted Time', abortedTime: 'Aborted Time',
    transferStart: 'Transfer Input Start Time', transferEnd: 'Transfer Input End Time',
    transferSeconds: 'Transfer Input Duration (seconds)', epochs: 'Epochs Completed',
    gpuUtilization: 'GPU Utilization (%)', gpuMemoryUsedMb: 'GPU Memory Used MB',
    requestMemoryMb: 'Request Memory MB', memoryUsedMb: 'Memory Usage MB', requestCpus: 'Request CPUs', cpusUsed: 'CPUs Usage',
    requestDiskMb: 'Request Disk MB', diskUsedMb: 'Disk Usage MB',
  },
};

/**
 * expctl's own `.expctl/runs.csv` (FileStore.writeTables). One row per run, read as one attempt: its
 * duration covers every retry, `attempts` is how many there were, `gpus` lists device indices.
 */
export const EXPCTL_RUNS_MAPPING: ColumnMapping = {
  name: 'expctl-runs',
  columns: {
    jobName: 'trial_name', dagSource: 'sweep_id', clusterId: 'run_id', attemptSequence: 'attempts',
    status: 'status', resource: 'target', startTime: 'started', endTime: 'ended', execSeconds: 'duration_s', gpus: 'gpus',
  },
  statusValues: { succeeded: 'completed', cancelled: 'aborted' },
  listCount: ['gpus'],
};

export const MAPPINGS: Record<string, ColumnMapping> = { htcondor: HTCONDOR_MAPPING, 'expctl-runs': EXPCTL_RUNS_MAPPING };

export interface MappingOptions {
  /** A preset name, a mapping of your own, or `auto` (default): runs.csv when its columns are there, else htcondor. */
  mapping?: 'auto' | 'htcondor' | 'expctl-runs' | ColumnMapping;
  /** Header per field, over the mapping's: `{ resource: "Site" }`. */
  columns?: Partial<Record<Field, string>>;
}

export interface ResolvedColumns {
  mapping: ColumnMapping;
  /** Column index per field present in the file. */
  index: Partial<Record<Field, number>>;
  /** Header name per field present, as written in the file. */
  names: Partial<Record<Field, string>>;
}

/** A file the report cannot be made from at all (as opposed to bad rows, which are skipped). */
export class ReportInputError extends Error {
  constructor(message: string, readonly missing: string[] = [], readonly found: string[] = []) {
    super(message);
    this.name = 'ReportInputError';
  }
}

export const normalizeHeader = (h: string): string => h.trim().toLowerCase().replace(/[\s_]+/g, '');

export function resolveColumns(header: string[], options: MappingOptions = {}): ResolvedColumns {
  if (header.length === 0) throw new ReportInputError('The CSV is empty: no header row.');
  const at = new Map<string, number>();
  header.forEach((h, i) => { const k = normalizeHeader(h); if (!at.has(k)) at.set(k, i); });

  const mapping = pickMapping(at, options.mapping ?? 'auto');
  const index: Partial<Record<Field, number>> = {};
  const names: Partial<Record<Field, string>> = {};
  for (const field of FIELDS) {
    const override = options.columns?.[field];
    if (override !== undefined) {
      const i = at.get(normalizeHeader(override));
      if (i === undefined) {
        throw new ReportInputError(`Column "${override}" (given for ${field}) is not in the file. Columns found: ${header.join(', ')}.`, [override], header);
      }
      index[field] = i;
    } else {
      // The mapping's header first, then the field's own name: a CSV with a "resource" column needs no mapping.
      const named = mapping.columns[field];
      const i = (named !== undefined ? at.get(normalizeHeader(named)) : undefined) ?? at.get(field.toLowerCase());
      if (i === undefined) continue;
      index[field] = i;
    }
    names[field] = header[index[field]!];
  }

  const missing: string[] = [];
  const label = (f: Field) => `"${mapping.columns[f] ?? f}" (${f})`;
  for (const f of ['jobName', 'status', 'resource'] as const) if (index[f] === undefined) missing.push(label(f));
  // Execution time can also come from Start/End Time.
  if (index.execSeconds === undefined && (index.startTime === undefined || index.endTime === undefined)) {
    missing.push(`${label('execSeconds')}, or ${label('startTime')} and ${label('endTime')}`);
  }
  if (missing.length) {
    throw new ReportInputError(
      `Missing required column${missing.length > 1 ? 's' : ''} for the ${mapping.name} mapping: ${missing.join('; ')}. `
      + `Columns found: ${header.join(', ')}. Name the right headers with the columns option, e.g. { resource: "Site" }.`,
      missing, header);
  }
  return { mapping, index, names };
}

function pickMapping(at: Map<string, number>, m: NonNullable<MappingOptions['mapping']>): ColumnMapping {
  if (typeof m === 'object') return m;
  if (m !== 'auto') return MAPPINGS[m];
  const runs = ['run_id', 'trial_name', 'target', 'duration_s'].every((h) => at.has(normalizeHeader(h)));
  return runs ? EXPCTL_RUNS_MAPPING : HTCONDOR_MAPPING;
}
