// Percentile bootstrap of the difference of medians. Seeded, so a report regenerated tomorrow shows
// the same interval: the same seed gives the same resamples on every machine (mulberry32 is 32-bit
// integer arithmetic).
import { mulberry32 } from '../sweep/prng';
import { checkConfidence } from './describe';
import { StatsError } from './errors';
import { medianInPlace, quantileSorted } from './quantile';
import { emptyResult, toSample, type Empty, type Value } from './sample';

export interface BootstrapOptions {
  /** PRNG seed (mulberry32); default 1. */
  seed?: number;
  /** Number of resamples; default 5000. */
  resamples?: number;
  /** Default 0.95. */
  confidence?: number;
}

/** A percentile bootstrap interval of a median (or of a difference of medians: `observed`). */
export interface MedianInterval {
  /** The statistic of the data: a median, or median(a) − median(b). */
  observed: number;
  /** Percentile interval of the resampled statistics ('linear' quantiles). */
  low: number;
  high: number;
  level: number;
  resamples: number;
  seed: number;
}

export interface BootstrapResult extends MedianInterval {
  empty: false;
  nA: number;
  nB: number;
  excluded: number;
}

/** Fills `out` with a resample (with replacement) of `from` and returns its median. */
function resampledMedian(from: Float64Array, out: Float64Array, rng: () => number): number {
  const n = from.length;
  for (let i = 0; i < n; i++) out[i] = from[Math.floor(rng() * n)];
  return medianInPlace(out);
}

function checkResamples(resamples: number): void {
  if (!(Number.isInteger(resamples) && resamples >= 1)) throw new StatsError('invalid-argument', `resamples must be an integer ≥ 1 (got ${resamples})`);
}

/** The percentile interval of sorted resampled statistics. */
function interval(sorted: Float64Array, confidence: number): { low: number; high: number } {
  return { low: quantileSorted(sorted, (1 - confidence) / 2), high: quantileSorted(sorted, (1 + confidence) / 2) };
}

/**
 * Bootstrap interval of the median of one sample (finite, non-empty): of paired differences, where
 * the pairs are resampled together.
 */
export function bootstrapMedian(values: Float64Array, options: BootstrapOptions = {}): MedianInterval {
  const { seed = 1, resamples = 5000, confidence = 0.95 } = options;
  checkConfidence(confidence);
  checkResamples(resamples);
  if (values.length === 0) throw new StatsError('invalid-argument', 'bootstrapMedian needs at least one value');
  const rng = mulberry32(seed);
  const work = new Float64Array(values.length);
  const medians = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) medians[r] = resampledMedian(values, work, rng);
  medians.sort();
  return { observed: medianInPlace(values.slice()), ...interval(medians, confidence), level: confidence, resamples, seed };
}

/** Bootstrap confidence interval of median(a) − median(b); a and b are resampled independently. */
export function bootstrapMedianDifference(a: ArrayLike<Value>, b: ArrayLike<Value>, options: BootstrapOptions = {}): BootstrapResult | Empty {
  const { seed = 1, resamples = 5000, confidence = 0.95 } = options;
  checkConfidence(confidence);
  checkResamples(resamples);
  const sa = toSample(a);
  const sb = toSample(b);
  const excluded = sa.excluded + sb.excluded;
  if (sa.values.length === 0) return { ...emptyResult(excluded), message: `sample a: ${emptyResult(sa.excluded).message}` };
  if (sb.values.length === 0) return { ...emptyResult(excluded), message: `sample b: ${emptyResult(sb.excluded).message}` };
  const observed = medianInPlace(sa.values.slice()) - medianInPlace(sb.values.slice());
  const rng = mulberry32(seed);
  const wa = new Float64Array(sa.values.length);
  const wb = new Float64Array(sb.values.length);
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) diffs[r] = resampledMedian(sa.values, wa, rng) - resampledMedian(sb.values, wb, rng);
  diffs.sort();
  return {
    empty: false, observed, ...interval(diffs, confidence), level: confidence, resamples, seed, nA: sa.values.length, nB: sb.values.length, excluded,
  };
}
