// Attempts → per-resource, per-job-type and per-day figures. Definitions (the report's contract):
//
//   hours               Σ Execution Duration (seconds) / 3600 — time on the execute node, what a
//                       GPU allocation is charged for. Queueing is in wallHours (Σ Total Duration).
//   gpuHours            Σ execution hours × Number of GPUs.
//   successful hours    hours of attempts whose status is completed or checkpointed; unsuccessful
//                       hours: every other status except pending ones (queued, running, idle, …).
//   successRate         successful hours / (successful + unsuccessful hours).
//   attemptSuccessRate  successful attempts / (successful + unsuccessful attempts).
//   epochs              Σ Epochs Completed over successful attempts (post_experiment_csv writes a
//                       default of 1 on failed attempts too, so those are not counted). Without
//                       the column, each completed attempt whose job name carries `epoch<N>` is one.
//   day                 the UTC day of Start Time, else Submit Time.
//   gpuEfficiency       busy / allocated GPU-hours: Σ exec s × GPUs × GPU Utilization/100 over
//                       Σ exec s × GPUs, over attempts that report a utilisation.
//   gpuMemoryUtilization GPU Memory Used MB / GPU Memory MB per attempt (both present, total > 0).
//   transferShare       Σ transfer s / Σ (transfer s + exec s) over attempts with a transfer time.
//   transferRate        Σ Total Bytes Received / Σ transfer s over attempts with both, transfer s > 0.
//   usage               requested vs used memory (MiB), CPUs and disk (MiB) over attempts with both;
//                       usedShare = used / requested per attempt with requested > 0.
//
// Missing cells add nothing to a sum and are left out of a distribution.
import { isoUtc, parseTimestamp, utcDay } from './values';
import { quantileSorted } from '../stats/quantile';
import { DAY_MS, filledDays } from '../charts/format';
import type { Attempt, LoadedCampaign } from './load';
import type { DailyCounts, DailyPoint, Distribution, EfficiencyStats, GpuTypeStats, JobTypeStats, ResourceStats, UsageStats } from './types';

export interface ReportFilters {
  /** Attempts whose Start Time (else Submit Time) is at or after this time. ISO 8601 / YYYY-MM-DD HH:MM:SS (UTC) / epoch seconds. */
  from?: string;
  /** …and at or before this time; a bare date (`2025-03-31`) includes that whole day. */
  to?: string;
  /** Resources to keep (case-insensitive). */
  resources?: string[];
}

/** The time an attempt is placed at: Start Time, else Submit Time. */
export const attemptTime = (a: Attempt): number | undefined => a.startTime ?? a.submitTime;

/** Keeps the attempts that pass the filters. Throws on a `from`/`to` that is not a date. */
export function filterAttempts(attempts: Attempt[], f: ReportFilters): Attempt[] {
  const bound = (s: string | undefined, name: string, endOfDay: boolean): number | undefined => {
    if (s === undefined || s === '') return undefined;
    const t = parseTimestamp(s.trim());
    if (Number.isNaN(t)) throw new RangeError(`${name}: "${s}" is not a date (ISO 8601, YYYY-MM-DD HH:MM:SS or epoch seconds, ms, µs or ns)`);
    return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(s.trim()) ? t + 86_400_000 - 1 : t;
  };
  const from = bound(f.from, 'from', false);
  const to = bound(f.to, 'to', true);
  const keep = f.resources?.length ? new Set(f.resources.map((r) => r.trim().toLowerCase())) : undefined;
  if (from === undefined && to === undefined && !keep) return attempts;
  return attempts.filter((a) => {
    if (keep && !keep.has(a.resource.toLowerCase())) return false;
    if (from === undefined && to === undefined) return true;
    const t = attemptTime(a);
    return t !== undefined && (from === undefined || t >= from) && (to === undefined || t <= to);
  });
}

export function distribution(values: number[]): Distribution | null {
  if (values.length === 0) return null;
  const s = new Float64Array(values).sort();
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i];
  return { count: s.length, min: s[0], mean: sum / s.length, median: quantileSorted(s, 0.5), p95: quantileSorted(s, 0.95), max: s[s.length - 1] };
}

const rate = (num: number, den: number): number | null => (den > 0 ? num / den : null);

function mode<K>(counts: Map<K, number>): K | null {
  let best: K | null = null;
  let n = 0;
  for (const [k, c] of counts) if (c > n) { best = k; n = c; }
  return best;
}

const EPOCH_IN_NAME = /epoch[-_]?\d+/i;

/** Epochs an attempt completed, by the definition at the top of this file. */
export function epochsOf(a: Attempt, countEpochs: boolean): number {
  if (a.outcome !== 'success') return 0;
  if (countEpochs) return a.epochs ?? 0;
  return a.status === 'completed' && EPOCH_IN_NAME.test(a.jobName) ? 1 : 0;
}

/** Requested and used of one kind (memory, CPUs, disk). */
class Usage {
  n = 0;
  requested = 0;
  used = 0;
  over = 0;
  shares: number[] = [];

  add(requested: number | undefined, used: number | undefined): void {
    if (requested === undefined || used === undefined) return;
    this.n++;
    this.requested += requested;
    this.used += used;
    if (used > requested) this.over++;
    if (requested > 0) this.shares.push(used / requested);
  }

  stats(): UsageStats | null {
    return this.n ? { attempts: this.n, requestedMean: this.requested / this.n, usedMean: this.used / this.n, usedShare: distribution(this.shares), overRequest: this.over } : null;
  }
}

/** Running sums over a set of attempts (a resource, a job type, a GPU type). Seconds, not hours, until the end. */
class Sums {
  attempts = 0;
  success = 0;
  failure = 0;
  pending = 0;
  epochs = 0;
  execS = 0;
  successS = 0;
  failureS = 0;
  gpuS = 0;
  wallS = 0;
  bytesSent = 0;
  bytesReceived = 0;

  add(a: Attempt, countEpochs: boolean): void {
    this.attempts++;
    const s = a.execSeconds ?? 0;
    this.execS += s;
    if (a.outcome === 'success') {
      this.success++;
      this.successS += s;
      this.epochs += epochsOf(a, countEpochs);
    } else if (a.outcome === 'failure') {
      this.failure++;
      this.failureS += s;
    } else this.pending++;
    if (a.gpus !== undefined) this.gpuS += s * a.gpus;
    this.wallS += a.totalSeconds ?? 0;
    this.bytesSent += a.bytesSent ?? 0;
    this.bytesReceived += a.bytesReceived ?? 0;
  }
}

/** Sums plus the figures of the optional columns (EfficiencyStats): resources and job types. */
class EfficiencySums extends Sums {
  transfer: number[] = [];
  transferExecS = 0;
  rateBytes = 0;
  rateS = 0;
  util: number[] = [];
  allocS = 0;
  busyS = 0;
  memoryUsed: number[] = [];
  memoryShare: number[] = [];
  memory = new Usage();
  cpus = new Usage();
  disk = new Usage();

  override add(a: Attempt, countEpochs: boolean): void {
    super.add(a, countEpochs);
    const s = a.execSeconds ?? 0;
    if (a.transferSeconds !== undefined) {
      this.transfer.push(a.transferSeconds);
      this.transferExecS += s;
      if (a.transferSeconds > 0 && a.bytesReceived !== undefined) {
        this.rateBytes += a.bytesReceived;
        this.rateS += a.transferSeconds;
      }
    }
    if (a.gpuUtilization !== undefined) {
      this.util.push(a.gpuUtilization);
      if (a.gpus !== undefined) {
        this.allocS += s * a.gpus;
        this.busyS += (s * a.gpus * a.gpuUtilization) / 100;
      }
    }
    if (a.gpuMemoryUsedMb !== undefined) {
      this.memoryUsed.push(a.gpuMemoryUsedMb);
      if (a.gpuMemoryMb) this.memoryShare.push(a.gpuMemoryUsedMb / a.gpuMemoryMb);
    }
    this.memory.add(a.requestMemoryMb, a.memoryUsedMb);
    this.cpus.add(a.requestCpus, a.cpusUsed);
    this.disk.add(a.requestDiskMb, a.diskUsedMb);
  }

  efficiency(): EfficiencyStats {
    const transferS = this.transfer.reduce((x, y) => x + y, 0);
    return {
      gpuUtilization: distribution(this.util),
      gpuEfficiency: rate(this.busyS, this.allocS),
      busyGpuHours: this.busyS / 3600,
      gpuMemoryUsedMb: distribution(this.memoryUsed),
      gpuMemoryUtilization: distribution(this.memoryShare),
      transferInput: distribution(this.transfer),
      transferInputHours: transferS / 3600,
      transferShare: this.transfer.length ? rate(transferS, transferS + this.transferExecS) : null,
      transferRate: rate(this.rateBytes, this.rateS),
      usage: { memory: this.memory.stats(), cpus: this.cpus.stats(), disk: this.disk.stats() },
    };
  }
}

class ResourceSums extends EfficiencySums {
  status = new Map<string, { count: number; seconds: number }>();
  gpu = new Map<string, { sums: Sums; memory: Map<number, number>; capability: Map<string, number> }>();
  gpuMemory: number[] = [];

  override add(a: Attempt, countEpochs: boolean): void {
    super.add(a, countEpochs);
    const st = this.status.get(a.status) ?? { count: 0, seconds: 0 };
    st.count++;
    st.seconds += a.execSeconds ?? 0;
    this.status.set(a.status, st);
    const device = a.gpuDevice || '(none)';
    let g = this.gpu.get(device);
    if (!g) this.gpu.set(device, (g = { sums: new Sums(), memory: new Map(), capability: new Map() }));
    g.sums.add(a, countEpochs);
    if (a.gpuMemoryMb !== undefined) {
      g.memory.set(a.gpuMemoryMb, (g.memory.get(a.gpuMemoryMb) ?? 0) + 1);
      this.gpuMemory.push(a.gpuMemoryMb);
    }
    if (a.gpuCapability) g.capability.set(a.gpuCapability, (g.capability.get(a.gpuCapability) ?? 0) + 1);
  }

  stats(resource: string): ResourceStats {
    const hours = this.execS / 3600;
    // fromEntries, not assignment: a status read from the file may be any string, even __proto__.
    const statuses = [...this.status].sort((x, y) => y[1].count - x[1].count || x[0].localeCompare(y[0]));
    const statusCounts: Record<string, number> = Object.fromEntries(statuses.map(([k, v]) => [k, v.count]));
    const statusHours: Record<string, number> = Object.fromEntries(statuses.map(([k, v]) => [k, v.seconds / 3600]));
    const gpuMix: GpuTypeStats[] = [...this.gpu].map(([device, g]) => ({
      device,
      attempts: g.sums.attempts,
      hours: g.sums.execS / 3600,
      gpuHours: g.sums.gpuS / 3600,
      unsuccessfulHours: g.sums.failureS / 3600,
      successRate: rate(g.sums.successS, g.sums.successS + g.sums.failureS),
      attemptSuccessRate: rate(g.sums.success, g.sums.success + g.sums.failure),
      memoryMb: mode(g.memory),
      capability: mode(g.capability),
    })).sort((x, y) => y.hours - x.hours || y.attempts - x.attempts || x.device.localeCompare(y.device));
    return {
      resource,
      attempts: this.attempts,
      successfulAttempts: this.success,
      unsuccessfulAttempts: this.failure,
      pendingAttempts: this.pending,
      epochs: this.epochs,
      hours,
      successfulHours: this.successS / 3600,
      unsuccessfulHours: this.failureS / 3600,
      gpuHours: this.gpuS / 3600,
      wallHours: this.wallS / 3600,
      successRate: rate(this.successS, this.successS + this.failureS),
      attemptSuccessRate: rate(this.success, this.success + this.failure),
      hoursPerEpoch: this.epochs > 0 ? hours / this.epochs : null,
      statusCounts,
      statusHours,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      gpuMix,
      gpuMemoryMb: distribution(this.gpuMemory),
      ...this.efficiency(),
    };
  }
}

export interface Figures {
  overall: ResourceStats;
  resources: ResourceStats[];
  jobTypes: JobTypeStats[];
  daily: DailyPoint[];
  undatedAttempts: number;
  period: { first: string | null; last: string | null };
}


export function computeFigures(attempts: Attempt[], loaded: Pick<LoadedCampaign, 'hasEpochs'>): Figures {
  const countEpochs = loaded.hasEpochs;
  const overall = new ResourceSums();
  const byResource = new Map<string, ResourceSums>();
  const byType = new Map<string, EfficiencySums>();
  const byDay = new Map<number, { all: DailyCounts; res: Map<string, DailyCounts> }>();
  let undated = 0;
  let first = Infinity;
  let last = -Infinity;

  for (const a of attempts) {
    overall.add(a, countEpochs);
    let r = byResource.get(a.resource);
    if (!r) byResource.set(a.resource, (r = new ResourceSums()));
    r.add(a, countEpochs);
    let j = byType.get(a.jobType);
    if (!j) byType.set(a.jobType, (j = new EfficiencySums()));
    j.add(a, countEpochs);

    const t = attemptTime(a);
    if (t === undefined) { undated++; continue; }
    if (t < first) first = t;
    if (t > last) last = t;
    const day = Math.floor(t / DAY_MS);
    let d = byDay.get(day);
    if (!d) byDay.set(day, (d = { all: emptyDay(), res: new Map() }));
    let dr = d.res.get(a.resource);
    if (!dr) d.res.set(a.resource, (dr = emptyDay()));
    const epochs = epochsOf(a, countEpochs);
    const hours = (a.execSeconds ?? 0) / 3600;
    for (const c of [d.all, dr]) {
      c.attempts++;
      c.epochs += epochs;
      c.hours += hours;
      c.bytesSent += a.bytesSent ?? 0;
      c.bytesReceived += a.bytesReceived ?? 0;
      c.transferHours += (a.transferSeconds ?? 0) / 3600;
    }
  }

  const resources = [...byResource].map(([k, v]) => v.stats(k)).sort((x, y) => y.hours - x.hours || y.attempts - x.attempts || x.resource.localeCompare(y.resource));
  const jobTypes: JobTypeStats[] = [...byType].map(([jobType, s]) => ({
    jobType,
    attempts: s.attempts,
    successfulAttempts: s.success,
    unsuccessfulAttempts: s.failure,
    epochs: s.epochs,
    hours: s.execS / 3600,
    successfulHours: s.successS / 3600,
    unsuccessfulHours: s.failureS / 3600,
    gpuHours: s.gpuS / 3600,
    bytesSent: s.bytesSent,
    bytesReceived: s.bytesReceived,
    ...s.efficiency(),
  })).sort((x, y) => y.hours - x.hours || y.attempts - x.attempts || x.jobType.localeCompare(y.jobType));

  return {
    overall: overall.stats('(all)'),
    resources,
    jobTypes,
    daily: dailySeries(byDay, resources.map((r) => r.resource)),
    undatedAttempts: undated,
    period: { first: Number.isFinite(first) ? isoUtc(first) : null, last: Number.isFinite(last) ? isoUtc(last) : null },
  };
}

const emptyDay = (): DailyCounts => ({ attempts: 0, epochs: 0, cumulativeEpochs: 0, hours: 0, bytesSent: 0, bytesReceived: 0, transferHours: 0 });

function dailySeries(byDay: Map<number, { all: DailyCounts; res: Map<string, DailyCounts> }>, resources: string[]): DailyPoint[] {
  if (byDay.size === 0) return [];
  const present = [...byDay.keys()].sort((a, b) => a - b);
  const days = filledDays(present, 1);
  const cumulative = new Map<string, number>(resources.map((r) => [r, 0]));
  let total = 0;
  return days.map((day) => {
    const d = byDay.get(day);
    total += d?.all.epochs ?? 0;
    const byResource: Record<string, DailyCounts> = Object.fromEntries(resources.map((r) => {
      const c = d?.res.get(r) ?? emptyDay();
      const cum = cumulative.get(r)! + c.epochs;
      cumulative.set(r, cum);
      return [r, { ...c, cumulativeEpochs: cum }];
    }));
    return { date: utcDay(day * DAY_MS), ...(d?.all ?? emptyDay()), cumulativeEpochs: total, byResource };
  });
}
