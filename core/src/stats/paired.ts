// Paired comparisons: the same cells (inputs, settings, repeat index) measured under two conditions.
// Testing the per-cell differences removes the spread between cells, which an unpaired test (Welch,
// Mann–Whitney) counts as noise. Two-sided, with scipy's conventions (scipy 1.17):
// Wilcoxon signed-rank = scipy.stats.wilcoxon(a, b) with its defaults (zero_method='wilcox',
// correction=False, method='auto'); the paired t-test = scipy.stats.ttest_rel(a, b).
// A pair with a non-finite value on either side is excluded and counted (scipy would propagate NaN).
import { bootstrapMedian, type BootstrapOptions, type MedianInterval } from './bootstrap';
import type { Direction } from './compare';
import { moments } from './describe';
import { normalCdf, studentTSf } from './distributions';
import { StatsError } from './errors';
import { emptyResult, toSample, type Empty, type Value } from './sample';

/** The finite pairs' differences a − b, in input order. */
interface Differences { d: Float64Array; excluded: number }

function differences(a: ArrayLike<Value>, b: ArrayLike<Value>): Differences | Empty {
  if (a.length !== b.length) throw new StatsError('invalid-argument', `paired samples need the same length (a has ${a.length}, b has ${b.length})`);
  const d = new Float64Array(a.length);
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)) d[k++] = x - y;
  }
  const excluded = a.length - k;
  if (k === 0) return { ...emptyResult(excluded), message: excluded ? `no pair with finite values on both sides: all ${excluded} excluded` : 'no pairs' };
  return { d: k === a.length ? d : d.subarray(0, k), excluded };
}

export interface WilcoxonOptions {
  /**
   * 'auto' (default, scipy's): more than 50 pairs → asymptotic; otherwise exact when no |difference|
   * is tied and none is zero, else — up to 13 pairs — the exact sign-flip permutation distribution
   * (scipy's PermutationMethod, exhaustive at that size), else asymptotic.
   */
  method?: 'auto' | 'exact' | 'permutation' | 'asymptotic';
}

export interface WilcoxonResult {
  empty: false;
  /** Pairs used, zero differences included. */
  n: number;
  /** Pairs whose difference is 0: dropped from the ranks (zero_method 'wilcox'). */
  zeros: number;
  excluded: number;
  /** scipy's `statistic`: min(R+, R−). */
  statistic: number;
  /** Sum of the ranks of |a − b| where a > b. */
  rPlus: number;
  /** The normal approximation's z (of R+), no continuity correction; undefined when every difference is 0. */
  z: number | undefined;
  /** Two-sided; undefined with `reason` when every difference is 0. */
  p: number | undefined;
  method: 'exact' | 'permutation' | 'asymptotic';
  /** Whether two non-zero |differences| are equal. */
  ties: boolean;
  reason?: string;
}

/** Ranks of |d| (d ≠ 0, average ranks for ties): R+ and the tie term Σ(t³ − t). */
function signedRanks(d: Float64Array): { rPlus: number; count: number; tieTerm: number; ties: boolean; ranks: Float64Array } {
  let count = 0;
  let pos = 0;
  for (const v of d) if (v !== 0) { count++; if (v > 0) pos++; }
  const all = new Float64Array(count);
  const plus = new Float64Array(pos);
  let i = 0;
  let j = 0;
  for (const v of d) {
    if (v === 0) continue;
    all[i++] = Math.abs(v);
    if (v > 0) plus[j++] = v;
  }
  all.sort();
  plus.sort();
  // Walk the tie groups of |d|; the positive differences in each group share its average rank.
  // The rank of each distinct |d| (ranks[k] for the k-th group) feeds the permutation distribution.
  const ranks = new Float64Array(count);
  let rPlus = 0;
  let tieTerm = 0;
  let ties = false;
  let p = 0;
  let g = 0;
  for (let s = 0; s < count;) {
    const v = all[s];
    let e = s + 1;
    while (e < count && all[e] === v) e++;
    const t = e - s;
    const rank = (s + 1 + e) / 2;
    let c = 0;
    while (p < pos && plus[p] === v) { p++; c++; }
    rPlus += c * rank;
    if (t > 1) { ties = true; tieTerm += t * t * t - t; }
    for (let k = 0; k < t; k++) ranks[g++] = rank;
    s = e;
  }
  return { rPlus, count, tieTerm, ties, ranks };
}

/** scipy's `_get_wilcoxon_distr`: P(R+ = r), r = 0 … n(n+1)/2, for n untied non-zero differences. */
function wilcoxonPmf(n: number): Float64Array {
  let c = new Float64Array([1]);
  for (let k = 1; k <= n; k++) {
    const prev = c;
    c = new Float64Array((k * (k + 1)) / 2 + 1);
    const m = prev.length;
    for (let i = 0; i < m; i++) c[i] = prev[i] * 0.5;
    for (let i = 0; i < m; i++) c[c.length - m + i] += prev[i] * 0.5;
  }
  return c;
}

/** scipy's WilcoxonDistribution cdf/sf: summed from whichever end the value is on (the same sums, so the same roundings). */
function exactP(rPlus: number, n: number): number {
  const pmf = wilcoxonPmf(n);
  const mean = (n * (n + 1)) / 4;
  const sumTo = (k: number) => { let s = 0; for (let i = 0; i <= Math.min(k, pmf.length - 1); i++) s += pmf[i]; return s; };
  const sumFrom = (k: number) => { let s = 0; for (let i = Math.max(k, 0); i < pmf.length; i++) s += pmf[i]; return s; };
  const cdf = (k: number) => (k <= mean ? sumTo(k) : 1 - sumFrom(k + 1));
  const sf = (k: number) => (k <= mean ? sumFrom(k) : 1 - sumTo(k - 1));
  return Math.min(1, Math.max(0, 2 * Math.min(sf(Math.floor(rPlus)), cdf(Math.ceil(rPlus)))));
}

/**
 * The sign-flip permutation p-value over all 2ⁿ flips (zeros flip to themselves): the distribution
 * of R+ counted by subset sums of the doubled ranks (whole numbers), as scipy's exhaustive
 * permutation_test enumerates it.
 */
function permutationP(rPlus: number, ranks: Float64Array, zeros: number): number {
  const total = ranks.reduce((s, r) => s + 2 * r, 0);
  let counts = new Float64Array(total + 1);
  counts[0] = 1;
  let top = 0;
  for (const r of ranks) {
    const step = 2 * r;
    const next = counts.slice();
    for (let s = 0; s <= top; s++) next[s + step] += counts[s];
    counts = next;
    top += step;
  }
  const obs = 2 * rPlus;
  let le = 0;
  let ge = 0;
  for (let s = 0; s <= total; s++) {
    if (s <= obs) le += counts[s];
    if (s >= obs) ge += counts[s];
  }
  const n = 2 ** (ranks.length + zeros);
  const flips = 2 ** zeros; // each zero doubles every count
  return Math.min(1, Math.max(0, Math.min((le * flips) / n, (ge * flips) / n) * 2));
}

/** Wilcoxon signed-rank test of a − b, two-sided, as scipy.stats.wilcoxon(a, b). */
export function wilcoxonSignedRank(a: ArrayLike<Value>, b: ArrayLike<Value>, options: WilcoxonOptions = {}): WilcoxonResult | Empty {
  const { method = 'auto' } = options;
  if (!['auto', 'exact', 'permutation', 'asymptotic'].includes(method)) {
    throw new StatsError('invalid-argument', `method must be 'auto', 'exact', 'permutation' or 'asymptotic' (got '${String(method)}')`);
  }
  const pr = differences(a, b);
  if ('empty' in pr) return pr;
  return wilcoxonOf(pr.d, pr.excluded, method);
}

function wilcoxonOf(d: Float64Array, excluded: number, method: NonNullable<WilcoxonOptions['method']>): WilcoxonResult {
  const n = d.length;
  const { rPlus, count, tieTerm, ties, ranks } = signedRanks(d);
  const zeros = n - count;
  const rMinus = (count * (count + 1)) / 2 - rPlus;
  let used: WilcoxonResult['method'];
  if (method !== 'auto') used = method;
  else if (n > 50) used = 'asymptotic';
  else if (!ties && zeros === 0) used = 'exact';
  else used = n <= 13 ? 'permutation' : 'asymptotic';
  const base = { empty: false as const, n, zeros, excluded, statistic: Math.min(rPlus, rMinus), rPlus, method: used, ties };
  if (count === 0) return { ...base, z: undefined, p: undefined, reason: `every one of the ${n} pairs has a difference of 0` };
  const mean = count * (count + 1) * 0.25;
  const se = Math.sqrt((count * (count + 1) * (2 * count + 1) - tieTerm / 2) / 24);
  const z = (rPlus - mean) / se;
  let p: number;
  if (used === 'asymptotic') p = 2 * normalCdf(-Math.abs(z));
  else if (used === 'exact') p = exactP(rPlus, count);
  else p = permutationP(rPlus, ranks, zeros);
  return { ...base, z, p };
}

export interface PairedTResult {
  empty: false;
  n: number;
  excluded: number;
  /** Mean of a − b. */
  meanDiff: number;
  t: number | undefined;
  df: number | undefined;
  /** Two-sided; undefined with `reason` when the differences do not vary or there is one pair. */
  p: number | undefined;
  reason?: string;
}

/** Paired t-test of a − b, two-sided, as scipy.stats.ttest_rel(a, b). */
export function pairedTTest(a: ArrayLike<Value>, b: ArrayLike<Value>): PairedTResult | Empty {
  const pr = differences(a, b);
  if ('empty' in pr) return pr;
  return pairedTOf(pr.d, pr.excluded);
}

function pairedTOf(d: Float64Array, excluded: number): PairedTResult {
  const n = d.length;
  const { mean, m2 } = moments(toSample(d));
  const base = { empty: false as const, n, excluded, meanDiff: mean };
  if (n < 2) return { ...base, t: undefined, df: undefined, p: undefined, reason: `needs at least 2 pairs (n=${n})` };
  // scipy reports t = ±inf, p = 0 for constant non-zero differences: no spread, no p-value worth showing.
  if (m2 === 0) return { ...base, t: undefined, df: undefined, p: undefined, reason: `every pair differs by the same amount (${mean})` };
  const t = mean / (Math.sqrt(m2 / (n - 1)) / Math.sqrt(n));
  const df = n - 1;
  return { ...base, t, df, p: Math.min(1, 2 * studentTSf(Math.abs(t), df)) };
}

export interface PairedOptions extends BootstrapOptions {
  /** Which way is better, for wins and losses; default 'minimize'. */
  goal?: Direction;
  wilcoxon?: WilcoxonOptions['method'];
}

export interface PairedComparison {
  empty: false;
  /** Pairs with finite values on both sides. */
  n: number;
  excluded: number;
  /** Pairs where a is better than b (by the goal), equal, worse. */
  wins: number;
  ties: number;
  losses: number;
  /** Median of a − b with its bootstrap interval (pairs resampled together). */
  medianDiff: MedianInterval;
  wilcoxon: WilcoxonResult;
  t: PairedTResult;
}

/** Everything `expctl compare --paired-by` reports for a against b, pair by pair. */
export function pairedComparison(a: ArrayLike<Value>, b: ArrayLike<Value>, options: PairedOptions = {}): PairedComparison | Empty {
  const { goal = 'minimize', wilcoxon: method = 'auto', ...bootstrap } = options;
  if (goal !== 'minimize' && goal !== 'maximize') throw new StatsError('invalid-argument', `goal must be 'minimize' or 'maximize' (got '${String(goal)}')`);
  const pr = differences(a, b);
  if ('empty' in pr) return pr;
  let below = 0;
  let above = 0;
  for (const v of pr.d) { if (v < 0) below++; else if (v > 0) above++; }
  const n = pr.d.length;
  return {
    empty: false, n, excluded: pr.excluded,
    wins: goal === 'minimize' ? below : above, ties: n - below - above, losses: goal === 'minimize' ? above : below,
    medianDiff: bootstrapMedian(pr.d, bootstrap),
    wilcoxon: wilcoxonOf(pr.d, pr.excluded, method),
    t: pairedTOf(pr.d, pr.excluded),
  };
}
