// Sample quantiles exactly as numpy.quantile computes them (numpy 2.x, `method=`), including its
// floating-point formulas, so a value shown in the editor is the value pandas/numpy users get.
// n is the number of values, q ∈ [0, 1], x₀ ≤ … ≤ xₙ₋₁ the sorted sample (0-based); "index"
// below is numpy's virtual index into that array, clamped to [0, n−1].
import { StatsError } from './errors';
import { select, valuesAtRanks } from './select';

/**
 * numpy.quantile's 13 methods. The first nine are Hyndman & Fan (1996) types 1–9.
 * - `inverted_cdf` (H&F 1): the smallest x with F̂(x) ≥ q — index ⌈nq⌉ − 1, a step function.
 * - `averaged_inverted_cdf` (H&F 2): like inverted_cdf, but averages the two neighbours where nq is a whole number.
 * - `closest_observation` (H&F 3, SAS): the observation nearest to nq − ½, ties to the even order statistic.
 * - `interpolated_inverted_cdf` (H&F 4): linear interpolation of the empirical CDF; index nq − 1.
 * - `hazen` (H&F 5): piecewise linear with knots at the midpoints (k − ½)/n; index nq − ½.
 * - `weibull` (H&F 6, Minitab, SPSS): index (n + 1)q − 1; the expected-value plotting position.
 * - `linear` (H&F 7, the default in numpy, pandas, R and Excel's PERCENTILE.INC): index (n − 1)q.
 * - `median_unbiased` (H&F 8, recommended by H&F): index (n + ⅓)q − ⅔; approximately median-unbiased for any distribution.
 * - `normal_unbiased` (H&F 9): index (n + ¼)q − ⅝; approximately unbiased for normal data.
 * - `lower`: x at index ⌊(n − 1)q⌋.
 * - `higher`: x at index ⌈(n − 1)q⌉.
 * - `nearest`: x at index round((n − 1)q), halves to the even index (numpy's `around`).
 * - `midpoint`: the mean of `lower` and `higher`.
 */
export const QUANTILE_METHODS = [
  'inverted_cdf', 'averaged_inverted_cdf', 'closest_observation', 'interpolated_inverted_cdf', 'hazen', 'weibull',
  'linear', 'median_unbiased', 'normal_unbiased', 'lower', 'higher', 'nearest', 'midpoint',
] as const;
export type QuantileMethod = (typeof QUANTILE_METHODS)[number];

/** Where a quantile lies in the sorted sample: lerp(x[lo], x[hi], gamma). */
export interface QuantilePlan {
  lo: number;
  hi: number;
  gamma: number;
}

export function checkMethod(method: string): asserts method is QuantileMethod {
  if (!(QUANTILE_METHODS as readonly string[]).includes(method)) {
    throw new StatsError('invalid-argument', `unknown quantile method '${method}'; use one of ${QUANTILE_METHODS.join(', ')}`);
  }
}

export function checkProbability(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new StatsError('invalid-argument', `quantile probability must be in [0, 1] (got ${q})`);
}

const take = (i: number): QuantilePlan => ({ lo: i, hi: i, gamma: 0 });

/** numpy's `_get_indexes`: out-of-range virtual indexes take the first or last value. */
function continuous(n: number, v: number, gamma: (g: number) => number): QuantilePlan {
  if (v >= n - 1) return take(n - 1);
  if (v < 0) return take(0);
  const lo = Math.floor(v);
  return { lo, hi: lo + 1, gamma: gamma(v - lo) };
}

/** numpy's `_compute_virtual_index`, same operation order (the discrete boundaries depend on it). */
const hyndmanFan = (n: number, q: number, alpha: number, beta: number) => n * q + (alpha + q * (1 - alpha - beta)) - 1;

/** numpy's `_discrete_interpolation_to_boundaries`: floor or floor + 1, clipped at 0. */
function boundary(index: number, takeFloor: (gamma: number, floor: number) => boolean): QuantilePlan {
  const floor = Math.floor(index);
  return take(Math.max(0, takeFloor(index - floor, floor) ? floor : floor + 1));
}

const identity = (g: number) => g;

/** Round half to even, as numpy.around. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Which order statistics a quantile needs, for n ≥ 1 values. */
export function quantilePlan(n: number, q: number, method: QuantileMethod): QuantilePlan {
  switch (method) {
    case 'inverted_cdf':
      return boundary(n * q - 1, (g) => g === 0);
    case 'averaged_inverted_cdf':
      return continuous(n, n * q - 1, (g) => (g === 0 ? 0.5 : 1));
    case 'closest_observation':
      // Python's floor % 2 is 1 for odd negatives too, hence the double modulo.
      return boundary(n * q - 1 - 0.5, (g, floor) => g === 0 && ((floor % 2) + 2) % 2 === 1);
    case 'interpolated_inverted_cdf':
      return continuous(n, hyndmanFan(n, q, 0, 1), identity);
    case 'hazen':
      return continuous(n, hyndmanFan(n, q, 0.5, 0.5), identity);
    case 'weibull':
      return continuous(n, hyndmanFan(n, q, 0, 0), identity);
    case 'linear':
      return continuous(n, (n - 1) * q, identity);
    case 'median_unbiased':
      return continuous(n, hyndmanFan(n, q, 1 / 3, 1 / 3), identity);
    case 'normal_unbiased':
      return continuous(n, hyndmanFan(n, q, 3 / 8, 3 / 8), identity);
    case 'lower':
      return take(Math.floor((n - 1) * q));
    case 'higher':
      return take(Math.ceil((n - 1) * q));
    case 'nearest':
      return take(roundHalfEven((n - 1) * q));
    case 'midpoint': {
      const v = 0.5 * (Math.floor((n - 1) * q) + Math.ceil((n - 1) * q));
      return continuous(n, v, () => (v % 1 === 0 ? 0 : 0.5));
    }
  }
}

/** numpy's `_lerp`: from whichever end is nearer, so gamma = 1 gives b exactly. */
export function lerp(a: number, b: number, gamma: number): number {
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * The quantiles `qs` of `x` (finite, non-empty, min and max known), leaving `x` untouched: only
 * the order statistics the plans name are found, by selection, never by a full sort.
 */
export function quantilesOf(x: Float64Array, min: number, max: number, qs: readonly number[], method: QuantileMethod): number[] {
  const n = x.length;
  const plans = qs.map((q) => quantilePlan(n, q, method));
  const ranks = [...new Set(plans.flatMap((p) => [p.lo, p.hi]))].sort((a, b) => a - b);
  const values = valuesAtRanks(x, ranks, min, max);
  const at = (r: number) => values[ranks.indexOf(r)];
  return plans.map((p) => (p.lo === p.hi ? at(p.lo) : lerp(at(p.lo), at(p.hi), p.gamma)));
}

/**
 * The median ('linear' method) of `work`, reordered in place; allocation-free for resampling loops.
 * `work` must be non-empty and finite.
 */
export function medianInPlace(work: Float64Array): number {
  const n = work.length;
  const k = (n - 1) >>> 1;
  select(work, k);
  if (n % 2 === 1) return work[k];
  let next = work[k + 1];
  for (let i = k + 2; i < n; i++) if (work[i] < next) next = work[i];
  return lerp(work[k], next, 0.5);
}

/** A quantile of an already sorted, non-empty, finite array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number, method: QuantileMethod = 'linear'): number {
  if (sorted.length === 0) throw new StatsError('invalid-argument', 'quantileSorted needs a non-empty array');
  checkProbability(q);
  checkMethod(method);
  const p = quantilePlan(sorted.length, q, method);
  return p.lo === p.hi ? sorted[p.lo] : lerp(sorted[p.lo], sorted[p.hi], p.gamma);
}
