// CSV text → typed attempts. Bad rows (wrong column count) and bad values (a date or number that
// does not parse, a negative count) are reported with their line and column and left out; only a
// file without the required columns is fatal (ReportInputError).
import { visitCsv } from '../util/csv';
import { FIELDS, FIELD_KIND, resolveColumns, type Field, type FieldKind, type MappingOptions, type ResolvedColumns } from './columns';
import { isMissing, jobType, parseNumber, parseTimestamp } from './values';
import type { RowProblem } from './types';
import { derive, namesOf, type Derivation, type Outcome as DerivedOutcome } from '../stats/derive';

/** completed, and checkpointed (exit 85: progress saved, the job goes on). */
export const SUCCESS_STATUSES: ReadonlySet<string> = new Set(['completed', 'checkpointed']);
/** Attempts not finished yet: neither successful nor unsuccessful. Any other status is unsuccessful. */
export const PENDING_STATUSES: ReadonlySet<string> = new Set(['queued', 'running', 'idle', 'submitted', 'pending']);

export type Outcome = 'success' | 'failure' | 'pending';

/** One attempt. Times are ms since 1970 UTC; a missing cell is `undefined`, never 0. */
export interface Attempt {
  line: number;
  /** `--derive` values (report/derived.ts), when asked for. */
  derived?: Map<string, DerivedOutcome>;
  jobName: string;
  jobType: string;
  dagSource: string;
  clusterId: string;
  attemptSequence: string;
  /** Lowercased and trimmed (`RESCUED` → `rescued`); `unknown` when empty. */
  status: string;
  outcome: Outcome;
  /** As found, trimmed; `(unknown)` when empty. */
  resource: string;
  submitTime: number | undefined;
  startTime: number | undefined;
  endTime: number | undefined;
  execSeconds: number | undefined;
  totalSeconds: number | undefined;
  bytesSent: number | undefined;
  bytesReceived: number | undefined;
  gpus: number | undefined;
  gpuDevice: string;
  gpuMemoryMb: number | undefined;
  gpuCapability: string;
  heldTime: number | undefined;
  releasedTime: number | undefined;
  evictedTime: number | undefined;
  abortedTime: number | undefined;
  transferStart: number | undefined;
  transferEnd: number | undefined;
  transferSeconds: number | undefined;
  epochs: number | undefined;
  /** Mean GPU utilisation over the attempt, percent. */
  gpuUtilization: number | undefined;
  /** Peak GPU memory used, MiB (over all the attempt's GPUs, as GPU Memory MB). */
  gpuMemoryUsedMb: number | undefined;
  requestMemoryMb: number | undefined;
  memoryUsedMb: number | undefined;
  requestCpus: number | undefined;
  cpusUsed: number | undefined;
  requestDiskMb: number | undefined;
  diskUsedMb: number | undefined;
}

export interface LoadedCampaign {
  mapping: string;
  /** Header per field present in the file. */
  columns: Partial<Record<Field, string>>;
  /** Whether the file has an epochs column (without one, epochs are counted from job names). */
  hasEpochs: boolean;
  attempts: Attempt[];
  rowsRead: number;
  rowsSkipped: number;
  /** Every skipped row's first problem, in file order. */
  problems: RowProblem[];
  /** The header row as read. */
  header: string[];
  /** Names `derive` expressions use that are neither a field, a column header nor an earlier derived name. */
  unknownNames: string[];
}

export type LoadOptions = MappingOptions & {
  delimiter?: string;
  /** Values computed per row: names are fields (`execSeconds`, `bytesReceived`, …) or column headers. */
  derive?: readonly Derivation[];
};

export function loadCampaign(text: string, options: LoadOptions = {}): LoadedCampaign {
  const attempts: Attempt[] = [];
  const problems: RowProblem[] = [];
  let resolved: ResolvedColumns | undefined;
  let row: ((cells: string[], line: number) => void) | undefined;
  const unknownNames: string[] = [];
  let headerRow: string[] = [];
  const scan = visitCsv(text, {
    header(header) {
      headerRow = header.map((h) => h.trim());
      resolved = resolveColumns(header, options);
      row = rowReader(resolved, attempts, problems, options.derive?.length ? { defs: options.derive, header } : undefined);
      const known = new Set<string>([...FIELDS, ...header.map((h) => h.trim())]);
      for (const d of options.derive ?? []) {
        for (const { name } of namesOf(d.expr)) if (!known.has(name) && !unknownNames.includes(name)) unknownNames.push(name);
        known.add(d.name);
      }
    },
    row: (cells, line) => row!(cells, line),
  }, { delimiter: options.delimiter });
  if (!resolved) resolved = resolveColumns([], options); // throws: no header
  for (const p of scan.problems) problems.push({ line: p.line, message: p.message });
  problems.sort((x, y) => x.line - y.line);
  return {
    mapping: resolved.mapping.name,
    columns: resolved.names,
    hasEpochs: resolved.index.epochs !== undefined,
    attempts,
    rowsRead: scan.rows + scan.problems.length,
    rowsSkipped: problems.length,
    problems,
    header: headerRow,
    unknownNames,
  };
}

/** The per-row conversion, with every column lookup done once up front. */
function rowReader({ mapping, index, names }: ResolvedColumns, attempts: Attempt[], problems: RowProblem[],
  derived?: { defs: readonly Derivation[]; header: string[] }): (cells: string[], line: number) => void {
  const headerAt = new Map(derived?.header.map((h, i) => [h.trim(), i]));
  const listCount = new Set(mapping.listCount ?? []);
  const statusValues = new Map(Object.entries(mapping.statusValues ?? {}));
  const converted: { slot: number; at: number; column: string; kind: FieldKind; list: boolean }[] = [];
  FIELDS.forEach((field, slot) => {
    const at = index[field];
    const kind = FIELD_KIND[field];
    if (at !== undefined && kind !== 'text') converted.push({ slot, at, column: names[field]!, kind, list: listCount.has(field) });
  });
  const col = (f: Field) => index[f] ?? -1;
  const iJob = col('jobName'), iDag = col('dagSource'), iCluster = col('clusterId'), iSeq = col('attemptSequence');
  const iStatus = col('status'), iResource = col('resource'), iDevice = col('gpuDevice'), iCap = col('gpuCapability');
  const str = (cells: string[], i: number) => (i < 0 ? '' : trim(cells[i]));
  const deriveExec = index.execSeconds === undefined;
  const deriveTransfer = index.transferSeconds === undefined && index.transferStart !== undefined && index.transferEnd !== undefined;
  // Numbers land here by field position (NaN: missing) and go into one object literal: every
  // attempt gets the same shape, and no store is keyed by a field name.
  const v = new Float64Array(FIELDS.length);

  return (cells, line) => {
    v.fill(NaN);
    for (const c of converted) {
      const raw = trim(cells[c.at]);
      if (isMissing(raw)) continue;
      const x = c.kind === 'time' ? parseTimestamp(raw) : c.list ? raw.split(/\s+/).length : parseNumber(raw);
      if (Number.isNaN(x) || x < 0) {
        const why = c.kind === 'time' ? 'not a date (ISO 8601, YYYY-MM-DD HH:MM:SS or epoch seconds, ms, µs or ns)' : x < 0 ? 'negative' : 'not a number';
        problems.push({ line, column: c.column, value: raw, message: `${c.column}: ${why}` });
        return;
      }
      v[c.slot] = x;
    }
    if (deriveExec && !Number.isNaN(v[S.startTime]) && !Number.isNaN(v[S.endTime])) v[S.execSeconds] = Math.max(0, (v[S.endTime] - v[S.startTime]) / 1000);
    if (deriveTransfer && !Number.isNaN(v[S.transferStart]) && !Number.isNaN(v[S.transferEnd])) {
      v[S.transferSeconds] = Math.max(0, (v[S.transferEnd] - v[S.transferStart]) / 1000);
    }
    const rawStatus = str(cells, iStatus).toLowerCase();
    const status = statusValues.get(rawStatus) ?? (rawStatus || 'unknown');
    const name = str(cells, iJob);
    attempts.push({
      line,
      jobName: name,
      jobType: jobType(name),
      dagSource: str(cells, iDag),
      clusterId: str(cells, iCluster),
      attemptSequence: str(cells, iSeq),
      status,
      outcome: SUCCESS_STATUSES.has(status) ? 'success' : PENDING_STATUSES.has(status) ? 'pending' : 'failure',
      resource: str(cells, iResource) || '(unknown)',
      submitTime: opt(v[S.submitTime]), startTime: opt(v[S.startTime]), endTime: opt(v[S.endTime]),
      execSeconds: opt(v[S.execSeconds]), totalSeconds: opt(v[S.totalSeconds]),
      bytesSent: opt(v[S.bytesSent]), bytesReceived: opt(v[S.bytesReceived]), gpus: opt(v[S.gpus]),
      gpuDevice: str(cells, iDevice), gpuMemoryMb: opt(v[S.gpuMemoryMb]), gpuCapability: str(cells, iCap),
      heldTime: opt(v[S.heldTime]), releasedTime: opt(v[S.releasedTime]), evictedTime: opt(v[S.evictedTime]), abortedTime: opt(v[S.abortedTime]),
      transferStart: opt(v[S.transferStart]), transferEnd: opt(v[S.transferEnd]), transferSeconds: opt(v[S.transferSeconds]),
      epochs: opt(v[S.epochs]),
      gpuUtilization: opt(v[S.gpuUtilization]), gpuMemoryUsedMb: opt(v[S.gpuMemoryUsedMb]),
      requestMemoryMb: opt(v[S.requestMemoryMb]), memoryUsedMb: opt(v[S.memoryUsedMb]),
      requestCpus: opt(v[S.requestCpus]), cpusUsed: opt(v[S.cpusUsed]),
      requestDiskMb: opt(v[S.requestDiskMb]), diskUsedMb: opt(v[S.diskUsedMb]),
    });
    if (derived) {
      const a = attempts[attempts.length - 1];
      a.derived = derive(derived.defs, (n) => {
        if (Object.hasOwn(S, n)) { const x = a[n as keyof Attempt]; return typeof x === 'number' ? x : undefined; }
        const at = headerAt.get(n);
        const raw = at === undefined ? '' : trim(cells[at] ?? '');
        const x = isMissing(raw) ? NaN : parseNumber(raw);
        return Number.isNaN(x) ? undefined : x;
      });
    }
  };
}

/** Each field's position in FIELDS. */
const S = Object.fromEntries(FIELDS.map((f, i) => [f, i])) as Record<Field, number>;

const opt = (x: number): number | undefined => (Number.isNaN(x) ? undefined : x);

/** String.prototype.trim, skipped for the usual cell that has nothing to trim. */
function trim(s: string): string {
  return s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32 ? s.trim() : s;
}
