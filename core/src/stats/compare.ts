// Comparing groups of runs: rank them on a metric, and the performance ratios people quote
// (speedup, parallel efficiency, throughput, success rate).
import { moments } from './describe';
import { StatsError } from './errors';
import { medianInPlace } from './quantile';
import { emptyResult, toSample, type Empty, type Value } from './sample';

export type Direction = 'minimize' | 'maximize';

export interface RankOptions {
  /** The centre each group is judged by; default 'median' (robust to a slow outlier run). */
  by?: 'median' | 'mean';
  /** Default 'minimize' (times, losses). */
  direction?: Direction;
}

export interface RankedGroup {
  key: string;
  /** 1 is best; equal centres share a rank (1, 2, 2, 4). */
  rank: number;
  value: number;
  n: number;
  excluded: number;
  /** value / best value: ≥ 1 when minimizing, ≤ 1 when maximizing. Undefined with a reason when meaningless. */
  ratio: number | undefined;
  reason?: string;
}

export interface Ranking {
  by: 'median' | 'mean';
  direction: Direction;
  /** Best first. */
  ranked: RankedGroup[];
  /** Groups without a finite value, in input order. */
  empty: (Empty & { key: string })[];
}

/** Ranks groups by the median (or mean) of their values, with each group's ratio to the best. */
export function rankGroups(groups: readonly { key: string; values: ArrayLike<Value> }[], options: RankOptions = {}): Ranking {
  const { by = 'median', direction = 'minimize' } = options;
  if (by !== 'median' && by !== 'mean') throw new StatsError('invalid-argument', `rank by 'median' or 'mean' (got '${String(by)}')`);
  if (direction !== 'minimize' && direction !== 'maximize') {
    throw new StatsError('invalid-argument', `direction must be 'minimize' or 'maximize' (got '${String(direction)}')`);
  }
  const scored: Omit<RankedGroup, 'rank' | 'ratio'>[] = [];
  const empty: Ranking['empty'] = [];
  for (const g of groups) {
    const s = toSample(g.values);
    const n = s.values.length;
    if (n === 0) {
      empty.push({ key: g.key, ...emptyResult(s.excluded) });
      continue;
    }
    const value = by === 'mean' ? moments(s).mean : medianInPlace(s.values.slice());
    scored.push({ key: g.key, value, n, excluded: s.excluded });
  }
  const sign = direction === 'minimize' ? 1 : -1;
  // Stable sort: equal centres keep input order.
  scored.sort((a, b) => sign * (a.value - b.value));
  const best = scored[0]?.value;
  let rank = 0;
  const ranked = scored.map((g, i): RankedGroup => {
    if (i === 0 || g.value !== scored[i - 1].value) rank = i + 1;
    if (best === 0) return { ...g, rank, ratio: undefined, reason: `the best ${by} is 0` };
    if (Math.sign(g.value) !== Math.sign(best)) return { ...g, rank, ratio: undefined, reason: `the ${by} has a different sign from the best` };
    return { ...g, rank, ratio: g.value / best };
  });
  return { by, direction, ranked, empty };
}

function checkPositive(name: string, v: number): void {
  if (!(v > 0 && Number.isFinite(v))) throw new StatsError('invalid-argument', `${name} must be a positive finite number (got ${v})`);
}

export interface SpeedupInput {
  /** Wall time of the whole job run sequentially (one worker), seconds. */
  sequentialS: number;
  /** Wall time of the same job with `workers` in parallel, seconds. */
  parallelS: number;
  workers: number;
  /**
   * Units of work (trials) each wall time covers. With both, the speedup is of wall time per unit —
   * a sequential run of a subset of the grid is then still comparable with the whole grid in parallel.
   */
  sequentialTrials?: number;
  parallelTrials?: number;
  /** Optional per-trial durations of each mode, for the per-trial comparison. */
  sequentialTrialsS?: ArrayLike<Value>;
  parallelTrialsS?: ArrayLike<Value>;
}

export interface Speedup {
  /** sequentialS / parallelS, or per unit of work: (sequentialS / sequentialTrials) / (parallelS / parallelTrials). */
  speedup: number;
  /** True when the two ran different numbers of trials, so that only the per-unit ratio means anything. */
  perTrial: boolean;
  /** speedup / workers: 1 is perfect scaling. */
  efficiency: number;
  workers: number;
  /**
   * mean sequential trial duration / mean parallel trial duration: below 1 when trials slow each
   * other down (shared GPU, I/O). Undefined without both duration samples.
   */
  trialSpeedup: number | undefined;
  reasons: { trialSpeedup?: string };
}

export function speedup(input: SpeedupInput): Speedup {
  const { sequentialS, parallelS, workers } = input;
  checkPositive('sequentialS', sequentialS);
  checkPositive('parallelS', parallelS);
  if (!(Number.isInteger(workers) && workers >= 1)) throw new StatsError('invalid-argument', `workers must be an integer ≥ 1 (got ${workers})`);
  const nSeq = input.sequentialTrials;
  const nPar = input.parallelTrials;
  for (const [name, n] of [['sequentialTrials', nSeq], ['parallelTrials', nPar]] as const) {
    if (n !== undefined && !(Number.isInteger(n) && n >= 1)) throw new StatsError('invalid-argument', `${name} must be an integer ≥ 1 (got ${n})`);
  }
  const perUnit = nSeq !== undefined && nPar !== undefined;
  const s = perUnit ? (sequentialS / nSeq) / (parallelS / nPar) : sequentialS / parallelS;
  const result: Speedup = { speedup: s, perTrial: perUnit && nSeq !== nPar, efficiency: s / workers, workers, trialSpeedup: undefined, reasons: {} };
  if (!input.sequentialTrialsS || !input.parallelTrialsS) {
    result.reasons.trialSpeedup = 'needs per-trial durations of both runs';
    return result;
  }
  const seq = toSample(input.sequentialTrialsS);
  const par = toSample(input.parallelTrialsS);
  if (seq.values.length === 0 || par.values.length === 0) {
    result.reasons.trialSpeedup = `no finite ${seq.values.length === 0 ? 'sequential' : 'parallel'} trial durations`;
    return result;
  }
  const parMean = par.sum / par.values.length;
  if (parMean <= 0) result.reasons.trialSpeedup = 'mean parallel trial duration is not positive';
  else result.trialSpeedup = seq.sum / seq.values.length / parMean;
  return result;
}

export interface Throughput {
  /** items / wallS. */
  itemsPerS: number;
  /** Mean of the finite latencies, when given. */
  meanLatencyS: number | undefined;
  latencies: number;
  excludedLatencies: number;
}

/** Items processed per second over a wall time, and the mean per-item latency. */
export function throughput(input: { items: number; wallS: number; latenciesS?: ArrayLike<Value> }): Throughput {
  if (!(input.items >= 0 && Number.isFinite(input.items))) throw new StatsError('invalid-argument', `items must be a finite number ≥ 0 (got ${input.items})`);
  checkPositive('wallS', input.wallS);
  const lat = input.latenciesS ? toSample(input.latenciesS) : undefined;
  const n = lat?.values.length ?? 0;
  return {
    itemsPerS: input.items / input.wallS,
    meanLatencyS: lat && n > 0 ? lat.sum / n : undefined,
    latencies: n,
    excludedLatencies: lat?.excluded ?? 0,
  };
}

export interface SuccessRate {
  succeeded: number;
  failed: number;
  /** Outcomes that were neither (null/undefined: still running, cancelled). */
  excluded: number;
  /** succeeded / (succeeded + failed). */
  rate: number;
}

/** Share of finished attempts that succeeded; `null`/`undefined` outcomes are not finished and not counted. */
export function successRate(outcomes: ArrayLike<boolean | null | undefined>): SuccessRate | Empty {
  let succeeded = 0;
  let failed = 0;
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i];
    if (o === true) succeeded++;
    else if (o === false) failed++;
  }
  const excluded = outcomes.length - succeeded - failed;
  if (succeeded + failed === 0) return { empty: true, excluded, message: `no finished outcomes (${excluded} still running or cancelled)` };
  return { succeeded, failed, excluded, rate: succeeded / (succeeded + failed) };
}

/** Start and end (ms) of each run that has both, in order, whatever its outcome: what a campaign's wall time spans. */
export function runSpans(runs: Iterable<{ started?: string; ended?: string }>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const r of runs) {
    const a = Date.parse(r.started ?? '');
    const b = Date.parse(r.ended ?? '');
    if (Number.isFinite(a) && Number.isFinite(b) && a <= b) out.push([a, b]);
  }
  return out;
}

/**
 * Wall time of a campaign — first start to last end of its runs — and each run's duration, in
 * seconds: the one definition of `expctl compare` and the Compare panel. A loop, not
 * Math.min(...spans): spreading 125,000 runs overflows the call stack.
 */
export function campaignTimes(spans: ReadonlyArray<readonly [number, number]>): { wallS: number; trialS: number[] } | undefined {
  if (!spans.length) return undefined;
  let first = Infinity;
  let last = -Infinity;
  for (const [a, b] of spans) {
    if (a < first) first = a;
    if (b > last) last = b;
  }
  return { wallS: (last - first) / 1000, trialS: spans.map(([a, b]) => (b - a) / 1000) };
}
