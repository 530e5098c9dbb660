// Two-sample significance tests, two-sided, with scipy's conventions (scipy 1.17):
// Welch's t-test = scipy.stats.ttest_ind(a, b, equal_var=False);
// Mann–Whitney U = scipy.stats.mannwhitneyu(a, b) with its defaults (method='auto', use_continuity=True).
// Non-finite values are excluded and counted (scipy would propagate NaN).
import { moments } from './describe';
import { normalCdf, studentTSf } from './distributions';
import { StatsError } from './errors';
import { emptyResult, toSample, type Empty, type Sample, type Value } from './sample';

interface Pair {
  a: Sample;
  b: Sample;
}

/** Cleans both samples; Empty (naming the sample) when either has no finite value. */
function pair(a: ArrayLike<Value>, b: ArrayLike<Value>): Pair | Empty {
  const p = { a: toSample(a), b: toSample(b) };
  for (const [name, s] of [['a', p.a], ['b', p.b]] as const) {
    if (s.values.length === 0) {
      const e = emptyResult(p.a.excluded + p.b.excluded);
      return { ...e, message: `sample ${name}: ${emptyResult(s.excluded).message}` };
    }
  }
  return p;
}

export interface WelchResult {
  empty: false;
  nA: number;
  nB: number;
  /** Values excluded from both samples. */
  excluded: number;
  meanA: number;
  meanB: number;
  /** (meanA − meanB) / √(varA/nA + varB/nB); undefined with `reason` when it is not defined. */
  t: number | undefined;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number | undefined;
  /** Two-sided p-value. */
  p: number | undefined;
  reason?: string;
}

/** Welch's unequal-variances t-test, two-sided (scipy.stats.ttest_ind(equal_var=False)). */
export function welchTTest(a: ArrayLike<Value>, b: ArrayLike<Value>): WelchResult | Empty {
  const pr = pair(a, b);
  if ('empty' in pr) return pr;
  const nA = pr.a.values.length;
  const nB = pr.b.values.length;
  const ma = moments(pr.a);
  const mb = moments(pr.b);
  const base = { empty: false as const, nA, nB, excluded: pr.a.excluded + pr.b.excluded, meanA: ma.mean, meanB: mb.mean };
  if (nA < 2 || nB < 2) return { ...base, t: undefined, df: undefined, p: undefined, reason: `each sample needs at least 2 values (nA=${nA}, nB=${nB})` };
  const va = ma.m2 / (nA - 1) / nA;
  const vb = mb.m2 / (nB - 1) / nB;
  const se2 = va + vb;
  // scipy reports t = ±inf, p = 0 here; a p-value from zero spread would only claim false certainty.
  if (se2 === 0) return { ...base, t: undefined, df: undefined, p: undefined, reason: 'both samples are constant (zero variance)' };
  const t = (ma.mean - mb.mean) / Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (nA - 1) + (vb * vb) / (nB - 1));
  return { ...base, t, df, p: Math.min(1, 2 * studentTSf(Math.abs(t), df)) };
}

export interface MannWhitneyOptions {
  /** 'auto' (default): exact when the smaller sample has ≤ 8 values and there are no ties, else asymptotic. */
  method?: 'auto' | 'exact' | 'asymptotic';
  /** Continuity correction of the normal approximation (default true, as scipy). */
  continuity?: boolean;
}

export interface MannWhitneyResult {
  empty: false;
  nA: number;
  nB: number;
  excluded: number;
  /** U statistic of sample a (scipy's `statistic`): the number of pairs with a > b, ties counting ½. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  method: 'exact' | 'asymptotic';
  /** Whether any value occurs more than once in the pooled sample. */
  ties: boolean;
}

/** Rank sum of a and the tie term Σ(t³ − t) over the pooled sample, by merging the sorted samples. */
function rankSum(a: Float64Array, b: Float64Array): { r1: number; tieTerm: number } {
  const x = a.slice().sort();
  const y = b.slice().sort();
  let i = 0;
  let j = 0;
  let r1 = 0;
  let tieTerm = 0;
  let rank = 0; // ranks used so far
  while (i < x.length || j < y.length) {
    const v = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
    let cx = 0;
    let cy = 0;
    while (i < x.length && x[i] === v) {
      i++;
      cx++;
    }
    while (j < y.length && y[j] === v) {
      j++;
      cy++;
    }
    const t = cx + cy;
    // The tied values share the average of ranks rank+1 … rank+t.
    r1 += cx * (rank + (t + 1) / 2);
    tieTerm += t * t * t - t;
    rank += t;
  }
  return { r1, tieTerm };
}

/**
 * P(U ≤ k) under the null for samples of sizes m ≤ n without ties. The counts of U are the
 * coefficients of the Gaussian binomial [m+n choose m]_q = ∏ᵢ (1 − q^(n+i)) / (1 − q^i); building
 * the product one factor at a time, each rescaled by i/(n+i), keeps them probabilities (no overflow
 * at any size). O(m·k) time.
 */
export function mannWhitneyCdf(k: number, m: number, n: number): number {
  if (m > n) [m, n] = [n, m];
  if (k < 0) return 0;
  if (k >= m * n) return 1;
  const c = new Float64Array(k + 1);
  c[0] = 1;
  for (let i = 1; i <= m; i++) {
    // ÷ (1 − q^i): running sums with stride i.
    for (let d = i; d <= k; d++) c[d] += c[d - i];
    // × (1 − q^(n+i)), from the top so each term uses the unmodified lower coefficient.
    const s = n + i;
    for (let d = k; d >= s; d--) c[d] -= c[d - s];
    const scale = i / (n + i);
    for (let d = 0; d <= k; d++) c[d] *= scale;
  }
  let cdf = 0;
  for (let d = 0; d <= k; d++) cdf += c[d];
  return Math.min(1, cdf);
}

/** Mann–Whitney U test, two-sided, matching scipy.stats.mannwhitneyu's defaults. */
export function mannWhitneyU(a: ArrayLike<Value>, b: ArrayLike<Value>, options: MannWhitneyOptions = {}): MannWhitneyResult | Empty {
  const { method = 'auto', continuity = true } = options;
  if (method !== 'auto' && method !== 'exact' && method !== 'asymptotic') {
    throw new StatsError('invalid-argument', `method must be 'auto', 'exact' or 'asymptotic' (got '${String(method)}')`);
  }
  const pr = pair(a, b);
  if ('empty' in pr) return pr;
  const n1 = pr.a.values.length;
  const n2 = pr.b.values.length;
  const { r1, tieTerm } = rankSum(pr.a.values, pr.b.values);
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u = Math.max(u1, n1 * n2 - u1);
  const ties = tieTerm > 0;
  const used = method === 'auto' ? ((n1 > 8 && n2 > 8) || ties ? 'asymptotic' : 'exact') : method;
  let p: number;
  if (used === 'exact') {
    // scipy: sf(U) = cdf(mn − U) by symmetry, with U truncated to an integer (it can be x.5 under ties).
    p = 2 * mannWhitneyCdf(n1 * n2 - Math.trunc(u), n1, n2);
  } else {
    const nn = n1 + n2;
    const sd = Math.sqrt(((n1 * n2) / 12) * (nn + 1 - tieTerm / (nn * (nn - 1))));
    const z = (u - (n1 * n2) / 2 - (continuity ? 0.5 : 0)) / sd;
    p = 2 * normalCdf(-z);
  }
  return {
    empty: false, nA: n1, nB: n2, excluded: pr.a.excluded + pr.b.excluded, u: u1,
    p: Math.min(1, Math.max(0, p)), method: used, ties,
  };
}
