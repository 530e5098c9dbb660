import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe as suite, it } from 'node:test';
import {
  QUANTILE_METHODS, StatsError, bootstrapMedianDifference, describe, erfc, geometricMean, groupItems, isEmpty, mannWhitneyCdf,
  mannWhitneyU, normalCdf, poolItems, quantileSorted, rankGroups, speedup, studentTCdf, studentTPdf, studentTQuantile, studentTSf,
  successRate, summarizeGroups, throughput, valueAt, welchTTest, type Description, type Empty, type GroupItem, type Value,
} from '../../core/src/stats';
import { FileStore, type RunRecord } from '../../core/src/store/store';
import { parseCsv } from '../../core/src/util/csv';

// Reference values: scripts/reference/stats.py (numpy 2.4.6, scipy 1.17.1) over the committed datasets.
const FIXTURES = join(__dirname, '..', 'fixtures', 'stats');
type RawValue = number | null | 'NaN' | 'Infinity' | '-Infinity';
const spec = JSON.parse(readFileSync(join(FIXTURES, 'datasets.json'), 'utf8')) as { datasets: Record<string, RawValue[]> };
interface Box {
  q1: number; median: number; q3: number; iqr: number; lowerFence: number; upperFence: number; whiskerLow: number; whiskerHigh: number;
  outliers: number[]; outlierIndexes: number[];
}
interface OneRef {
  n: number; excluded: number; mean?: number; min?: number; max?: number; var0?: number; var1?: number; std0?: number; std1?: number;
  quantiles?: Record<string, number[]>; box?: Box; ci?: Record<string, [number, number]>; gmean?: number;
}
interface TwoRef {
  a: string; b: string;
  welch?: { t: number; df: number; p: number };
  mannwhitneyu: { u: number; p: number; method: 'exact' | 'asymptotic' };
  mannwhitneyu_asymptotic: { p: number };
  mannwhitneyu_exact?: { p: number };
}
const ref = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8')) as {
  qs: number[]; levels: number[]; one_sample: Record<string, OneRef>; two_sample: TwoRef[];
  distributions: {
    t: ({ df: number; x: number; cdf: number; sf: number; pdf: number } | { df: number; p: number; ppf: number })[];
    normal: { z: number; cdf: number; erfc: number }[];
  };
};

const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const data = (name: string): Value[] => spec.datasets[name].map((v) => (typeof v === 'string' ? SPECIAL[v] : v));

/** Equal to 1e-9 relative, or 1e-12 absolute near zero. */
function close(actual: number | undefined, expected: number, what: string): void {
  assert.equal(typeof actual, 'number', `${what}: got ${actual}`);
  const tol = Math.max(1e-9 * Math.abs(expected), 1e-12);
  assert.ok(Math.abs((actual as number) - expected) <= tol, `${what}: ${actual} vs reference ${expected} (diff ${Math.abs((actual as number) - expected)})`);
}

function filled(r: Description | Empty, what = 'summary'): Description {
  assert.ok(!isEmpty(r), `${what} unexpectedly empty`);
  return r as Description;
}

suite('describe against numpy/scipy', () => {
  for (const [name, r] of Object.entries(ref.one_sample)) {
    it(name, () => {
      const values = data(name);
      const d0 = describe(values, { ddof: 0 });
      if (r.n === 0) {
        assert.ok(isEmpty(d0));
        assert.equal(d0.excluded, r.excluded);
        assert.match(d0.message, r.excluded ? /no finite values: all \d+ excluded/ : /^no values$/);
        return;
      }
      const d = filled(d0);
      assert.equal(d.n, r.n);
      assert.equal(d.excluded, r.excluded);
      close(d.mean, r.mean!, 'mean');
      close(d.min, r.min!, 'min');
      close(d.max, r.max!, 'max');
      close(d.variance, r.var0!, 'var ddof=0');
      close(d.std, r.std0!, 'std ddof=0');
      const d1 = filled(describe(values));
      if (r.var1 === undefined) {
        assert.equal(d1.std, undefined);
        assert.equal(d1.variance, undefined);
        assert.match(d1.reasons.std ?? '', /needs more than 1 value with ddof=1 \(n=1\)/);
      } else {
        close(d1.variance, r.var1, 'var ddof=1');
        close(d1.std, r.std1!, 'std ddof=1');
      }

      for (const method of QUANTILE_METHODS) {
        const got = filled(describe(values, { quantiles: ref.qs, method })).quantiles;
        const sorted = Float64Array.from(values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))).sort();
        ref.qs.forEach((q, i) => {
          assert.equal(got[i].q, q);
          close(got[i].value, r.quantiles![method][i], `${method} q=${q}`);
          close(quantileSorted(sorted, q, method), r.quantiles![method][i], `quantileSorted ${method} q=${q}`);
        });
      }

      const box = r.box!;
      for (const k of ['q1', 'median', 'q3', 'iqr', 'lowerFence', 'upperFence', 'whiskerLow', 'whiskerHigh'] as const) close(d.box[k], box[k], `box ${k}`);
      assert.deepEqual(d.box.outliers.map((o) => o.value), box.outliers, 'outlier values');
      assert.deepEqual(d.box.outliers.map((o) => o.index), box.outlierIndexes, 'outlier indexes');

      if (r.ci) {
        for (const level of ref.levels) {
          const ci = filled(describe(values, { confidence: level })).ci;
          close(ci?.low, r.ci[String(level)][0], `ci ${level} low`);
          close(ci?.high, r.ci[String(level)][1], `ci ${level} high`);
        }
      } else if (r.n === 1) {
        assert.equal(d.ci, undefined);
        assert.match(d.reasons.ci ?? '', /at least 2 values/);
      } else {
        // Constant sample: scipy gives nan (scale 0); the interval is the single point.
        assert.equal(d1.std, 0);
        assert.deepEqual([d1.ci?.low, d1.ci?.high], [d1.mean, d1.mean]);
      }

      if (r.gmean !== undefined) {
        close(d.gmean, r.gmean, 'gmean');
        close(geometricMean(values) as number, r.gmean, 'geometricMean()');
      } else {
        assert.equal(d.gmean, undefined);
        assert.match(d.reasons.gmean ?? '', /needs positive values/);
        assert.throws(() => geometricMean(values), (e: unknown) => e instanceof StatsError && e.code === 'non-positive');
      }
    });
  }
});

suite('two-sample tests against scipy', () => {
  for (const r of ref.two_sample) {
    it(`${r.a} vs ${r.b}`, () => {
      const a = data(r.a);
      const b = data(r.b);
      if (r.welch) {
        const w = welchTTest(a, b);
        assert.ok(!isEmpty(w));
        close(w.t, r.welch.t, 'welch t');
        close(w.df, r.welch.df, 'welch df');
        close(w.p, r.welch.p, 'welch p');
      }
      const m = mannWhitneyU(a, b);
      assert.ok(!isEmpty(m));
      assert.equal(m.method, r.mannwhitneyu.method);
      close(m.u, r.mannwhitneyu.u, 'U');
      close(m.p, r.mannwhitneyu.p, 'MWU p (auto)');
      const asym = mannWhitneyU(a, b, { method: 'asymptotic' });
      close(isEmpty(asym) ? undefined : asym.p, r.mannwhitneyu_asymptotic.p, 'MWU p (asymptotic)');
      if (r.mannwhitneyu_exact) {
        const ex = mannWhitneyU(a, b, { method: 'exact' });
        close(isEmpty(ex) ? undefined : ex.p, r.mannwhitneyu_exact.p, 'MWU p (exact)');
      }
    });
  }
});

suite('distributions against scipy', () => {
  it('Student t cdf, sf, pdf and ppf', () => {
    for (const r of ref.distributions.t) {
      if ('ppf' in r) close(studentTQuantile(r.p, r.df), r.ppf, `t.ppf(${r.p}, ${r.df})`);
      else {
        close(studentTCdf(-r.x, r.df), r.cdf, `t.cdf(${-r.x}, ${r.df})`);
        close(studentTSf(r.x, r.df), r.sf, `t.sf(${r.x}, ${r.df})`);
        close(studentTPdf(r.x, r.df), r.pdf, `t.pdf(${r.x}, ${r.df})`);
      }
    }
  });
  it('normal cdf and erfc, far into the tail', () => {
    for (const r of ref.distributions.normal) {
      close(normalCdf(r.z), r.cdf, `ndtr(${r.z})`);
      close(erfc(r.z), r.erfc, `erfc(${r.z})`);
    }
  });
  it('the t quantile inverts the cdf', () => {
    for (const df of [1, 3.7, 40, 5000]) {
      for (const p of [1e-8, 0.01, 0.2, 0.5, 0.8, 0.999]) close(studentTCdf(studentTQuantile(p, df), df), p, `cdf(ppf(${p}), ${df})`);
    }
  });
  it('Student t for df up to ∞: accurate at large df, the normal in the limit', () => {
    // mpmath 1.3 at 60 digits: sf = betainc(df/2, 1/2, 0, df/(df+t²))/2 (erfc(t/√2)/2 for ∞), and
    // quantiles as its roots. Tolerance 1e-12 relative, far tighter than the 1e-9 of the scipy table.
    const rows: { df: number; sf: Array<[number, number]>; q975: number; q1e10: number }[] = [
      { df: 1e6, sf: [[1.96, 0.024998033792634895], [8, 6.2275317166012598e-16], [30, 6.0100471168317189e-198]], q975: 1.959966356814107, q1e10: 6.3614068488767426 },
      { df: 1e9, sf: [[1.96, 0.024997895286864798], [8, 6.2209671422273817e-16], [30, 4.9077098439837308e-198]], q975: 1.9599639869123255, q1e10: 6.3613409683499438 },
      { df: 1e12, sf: [[1.96, 0.024997895148359081], [8, 6.2209605808397365e-16], [30, 4.9067149229646632e-198]], q975: 1.9599639845424265, q1e10: 6.3613409024700021 },
      { df: 1e15, sf: [[1.96, 0.024997895148220575], [8, 6.2209605742783521e-16], [30, 4.9067139281440034e-198]], q975: 1.9599639845400566, q1e10: 6.3613409024041222 },
      { df: Infinity, sf: [[1.96, 0.024997895148220436], [8, 6.2209605742717841e-16], [30, 4.9067139271481871e-198]], q975: 1.9599639845400542, q1e10: 6.3613409024040562 },
    ];
    const near = (actual: number, expected: number, tol: number, what: string) =>
      assert.ok(Math.abs(actual - expected) <= tol * Math.abs(expected), `${what}: ${actual} vs ${expected}`);
    for (const r of rows) {
      for (const [t, sf] of r.sf) {
        near(studentTSf(t, r.df), sf, 1e-12, `sf(${t}, ${r.df})`);
        near(studentTCdf(-t, r.df), sf, 1e-12, `cdf(${-t}, ${r.df})`);
        near(studentTCdf(t, r.df), 1 - sf, 1e-15, `cdf(${t}, ${r.df})`);
        assert.ok(Math.abs(studentTCdf(t, r.df) + studentTSf(t, r.df) - 1) <= 1e-12, `cdf + sf at ${t}, ${r.df}`);
      }
      near(studentTQuantile(0.975, r.df), r.q975, 1e-12, `ppf(0.975, ${r.df})`);
      near(studentTQuantile(1e-10, r.df), -r.q1e10, 1e-12, `ppf(1e-10, ${r.df})`);
      near(studentTPdf(0, r.df), 1 / Math.sqrt(2 * Math.PI), 1e-6, `pdf(0, ${r.df})`);
      for (const t of [0, 1e-8, 0.5, 3, 40, Infinity]) {
        for (const v of [studentTSf(t, r.df), studentTCdf(t, r.df), studentTPdf(t, r.df)]) assert.ok(!Number.isNaN(v), `NaN at t = ${t}, df = ${r.df}`);
      }
    }
    // The t distribution has the normal as its limit: from df = 1e9 on the two agree to 1e-9
    // (at df = 1e6 they still differ by 1.4e-7 in the cdf at 1.96, and by 2.4e-6 in the quantile).
    for (const df of [1e9, 1e12, 1e15, 1e20, Infinity]) {
      assert.ok(Math.abs(studentTCdf(1.96, df) - normalCdf(1.96)) <= 1e-9, `cdf(1.96, ${df})`);
      assert.ok(Math.abs(studentTQuantile(0.975, df) - 1.959963984540054) <= 1e-6, `ppf(0.975, ${df})`);
    }
    near(studentTPdf(1.96, Infinity), 0.058440944333451476, 1e-15, 'pdf(1.96, ∞)');
  });
  it('exact Mann–Whitney distribution equals exact integer counts', () => {
    // Counts of U by the q-binomial Pascal rule in BigInt: N(m, n, u) = N(m−1, n, u−n) + N(m, n−1, u).
    const counts = (m: number, n: number): bigint[] => {
      let prev: bigint[][] = Array.from({ length: n + 1 }, () => [1n]); // m = 0: U = 0 only
      for (let i = 1; i <= m; i++) {
        const cur: bigint[][] = [[1n]]; // n = 0: U = 0 only
        for (let j = 1; j <= n; j++) {
          const c = new Array<bigint>(i * j + 1).fill(0n);
          prev[j].forEach((v, u) => (c[u + j] += v));
          cur[j - 1].forEach((v, u) => (c[u] += v));
          cur.push(c);
        }
        prev = cur;
      }
      return prev[n];
    };
    for (const [m, n] of [[3, 5], [8, 60], [20, 20], [12, 30]]) {
      const c = counts(m, n);
      const total = c.reduce((s, v) => s + v, 0n);
      let acc = 0n;
      for (let k = 0; k <= (m * n) / 2; k++) {
        acc += c[k];
        // Exact ratio of two big integers, to ~1e-15.
        const exact = Number((acc * 10n ** 30n) / total) / 1e30;
        if (exact < 1e-12) continue; // below what a ratio printed to 30 digits resolves
        close(mannWhitneyCdf(k, m, n), exact, `P(U ≤ ${k}; ${m}, ${n})`);
      }
    }
  });
});

suite('describe behaviour', () => {
  it('counts exclusions and names outliers by id at their input position', () => {
    const values: Value[] = [10, NaN, 11, null, 12, undefined, Infinity, 13, 11.5, 12.5, -Infinity, 100, 10.5, -50];
    const ids = values.map((_, i) => `run-${i}`);
    const d = filled(describe(values, { ids }));
    assert.equal(d.n, 9);
    assert.equal(d.excluded, 5);
    assert.deepEqual(d.box.outliers, [{ value: -50, index: 13, id: 'run-13' }, { value: 100, index: 11, id: 'run-11' }]);
    assert.equal(d.box.whiskerLow, 10);
    assert.equal(d.box.whiskerHigh, 13);
  });

  it('whisker factor is configurable', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 20];
    assert.deepEqual(filled(describe(values)).box.outliers.map((o) => o.value), [20]);
    const wide = filled(describe(values, { whisker: 4 })).box;
    assert.deepEqual(wide.outliers, []);
    assert.equal(wide.whiskerHigh, 20);
  });

  it('empty input is a result with a message, never an exception', () => {
    assert.deepEqual(describe([]), { empty: true, excluded: 0, message: 'no values' });
    assert.deepEqual(describe([NaN, null]), { empty: true, excluded: 2, message: 'no finite values: all 2 excluded (NaN, infinite or missing)' });
    assert.ok(isEmpty(geometricMean([])));
  });

  it('one value: the std and the interval are undefined, with reasons', () => {
    const d = filled(describe([42]));
    assert.equal(d.mean, 42);
    assert.equal(d.std, undefined);
    assert.equal(d.ci, undefined);
    assert.ok(d.reasons.std && d.reasons.ci);
    assert.equal(filled(describe([42], { ddof: 0 })).std, 0);
  });

  it('stays exact where the one-pass formula cancels (1e9 + small noise)', () => {
    const values = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16];
    assert.equal(filled(describe(values)).variance, 30);
  });

  it('rejects bad arguments with StatsError', () => {
    const bad = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof StatsError && e.code === 'invalid-argument');
    bad(() => describe([1, 2], { method: 'type7' as never }));
    bad(() => describe([1, 2], { quantiles: [1.5] }));
    bad(() => describe([1, 2], { confidence: 1 }));
    bad(() => describe([1, 2], { ddof: -1 }));
    bad(() => describe([1, 2], { ids: ['a'] }));
    bad(() => quantileSorted([], 0.5));
  });

  it('selection gives the same quantiles as sorting, on large inputs with duplicates', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const n of [601, 5000, 100_001]) {
      const values = Array.from({ length: n }, () => Math.floor(rand() * 300) / 7);
      const sorted = Float64Array.from(values).sort();
      const qs = [0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1];
      const d = filled(describe(values, { quantiles: qs }));
      qs.forEach((q, i) => assert.equal(d.quantiles[i].value, quantileSorted(sorted, q), `n=${n} q=${q}`));
    }
    // Skewed and degenerate spreads: one bucket holds (almost) everything, or the range overflows.
    const skewed: number[][] = [
      [...Array.from({ length: 20_000 }, () => rand()), 1e300],
      [...Array.from({ length: 20_000 }, () => 1 + rand() * 1e-12), -1e12],
      [...Array.from({ length: 20_000 }, (_, i) => (i % 3) - 1e-300), -1e308, 1e308],
      Array.from({ length: 20_000 }, (_, i) => (i % 2 ? 5 : 5 + 2 ** -40)),
      Array.from({ length: 20_000 }, () => 7),
    ];
    for (const values of skewed) {
      const sorted = Float64Array.from(values).sort();
      const qs = [0, 0.25, 0.5, 0.75, 0.99, 1];
      for (const method of ['linear', 'inverted_cdf', 'hazen'] as const) {
        const d = filled(describe(values, { quantiles: qs, method }));
        qs.forEach((q, i) => assert.equal(d.quantiles[i].value, quantileSorted(sorted, q, method), `${method} q=${q}`));
      }
    }
  });
});

suite('compare', () => {
  it('ranks groups by median with ratios to the best, both directions', () => {
    const groups = [
      { key: 'slow', values: [30, 31, 29, 300] },
      { key: 'fast', values: [10, 11, 9, NaN] },
      { key: 'mid', values: [20, 20, 20] },
      { key: 'mid2', values: [19, 21, 20] },
      { key: 'none', values: [null, NaN] },
    ];
    const r = rankGroups(groups);
    assert.deepEqual(r.ranked.map((g) => [g.key, g.rank, g.value, g.ratio]), [
      ['fast', 1, 10, 1], ['mid', 2, 20, 2], ['mid2', 2, 20, 2], ['slow', 4, 30.5, 3.05],
    ]);
    assert.equal(r.ranked[0].excluded, 1);
    assert.deepEqual(r.empty.map((e) => [e.key, e.excluded]), [['none', 2]]);
    const max = rankGroups(groups, { by: 'mean', direction: 'maximize' });
    assert.deepEqual(max.ranked.map((g) => g.key), ['slow', 'mid', 'mid2', 'fast']);
    close(max.ranked[3].ratio, 10 / 97.5, 'ratio to the best when maximizing');
    const zero = rankGroups([{ key: 'a', values: [0] }, { key: 'b', values: [1] }]);
    assert.equal(zero.ranked[1].ratio, undefined);
    assert.match(zero.ranked[1].reason ?? '', /best median is 0/);
  });

  it('speedup and parallel efficiency', () => {
    const s = speedup({ sequentialS: 100, parallelS: 30, workers: 4, sequentialTrialsS: [10, 10, 10], parallelTrialsS: [12, 13, 11, NaN] });
    close(s.speedup, 100 / 30, 'speedup');
    close(s.efficiency, 100 / 30 / 4, 'efficiency');
    close(s.trialSpeedup, 10 / 12, 'trial speedup');
    const noTrials = speedup({ sequentialS: 8, parallelS: 2, workers: 4 });
    assert.equal(noTrials.efficiency, 1);
    assert.equal(noTrials.trialSpeedup, undefined);
    assert.ok(noTrials.reasons.trialSpeedup);
    assert.throws(() => speedup({ sequentialS: 8, parallelS: 0, workers: 4 }), StatsError);
    assert.throws(() => speedup({ sequentialS: 8, parallelS: 2, workers: 1.5 }), StatsError);
  });

  it('speedup per unit of work: wall time per trial when the two ran different numbers of trials', () => {
    // 6 trials on a laptop in 60 s (10 s each) against all 18 in parallel in 30 s.
    const s = speedup({ sequentialS: 60, parallelS: 30, workers: 18, sequentialTrials: 6, parallelTrials: 18 });
    close(s.speedup, 10 / (30 / 18), 'speedup per trial');
    close(s.efficiency, 10 / (30 / 18) / 18, 'efficiency');
    assert.equal(s.perTrial, true);
    // Equal counts: the plain ratio of wall times, not flagged.
    const same = speedup({ sequentialS: 60, parallelS: 30, workers: 4, sequentialTrials: 18, parallelTrials: 18 });
    assert.equal(same.speedup, 2);
    assert.equal(same.perTrial, false);
    assert.equal(speedup({ sequentialS: 60, parallelS: 30, workers: 4, sequentialTrials: 6 }).speedup, 2, 'one count alone: wall times');
    assert.throws(() => speedup({ sequentialS: 60, parallelS: 30, workers: 4, sequentialTrials: 0, parallelTrials: 18 }), /sequentialTrials must be an integer ≥ 1/);
    assert.throws(() => speedup({ sequentialS: 60, parallelS: 30, workers: 4, sequentialTrials: 6, parallelTrials: 2.5 }), /parallelTrials must be an integer ≥ 1/);
  });

  it('throughput, mean latency and success rate', () => {
    assert.deepEqual(throughput({ items: 60000, wallS: 12, latenciesS: [0.1, 0.3, null] }), {
      itemsPerS: 5000, meanLatencyS: 0.2, latencies: 2, excludedLatencies: 1,
    });
    assert.deepEqual(successRate([true, true, false, null, true]), { succeeded: 3, failed: 1, excluded: 1, rate: 0.75 });
    const none = successRate([undefined]);
    assert.ok(isEmpty(none));
    assert.match(none.message, /no finished outcomes/);
  });

  it('Welch: too few values or no spread give a reason, not a number', () => {
    const one = welchTTest([1], [2, 3]);
    assert.ok(!isEmpty(one));
    assert.equal(one.p, undefined);
    assert.match(one.reason ?? '', /at least 2 values/);
    const flat = welchTTest([1, 1, 1], [2, 2]);
    assert.ok(!isEmpty(flat) && flat.p === undefined && /constant/.test(flat.reason ?? ''));
    const e = welchTTest([NaN], [1, 2]);
    assert.ok(isEmpty(e));
    assert.match(e.message, /^sample a: no finite values/);
  });

  it('bootstrap of the median difference is deterministic and covers a clear shift', () => {
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const a = Array.from({ length: 80 }, () => 50 + 10 * rand());
    const b = Array.from({ length: 60 }, () => 20 + 10 * rand());
    const r1 = bootstrapMedianDifference(a, b, { seed: 42, resamples: 2000 });
    const r2 = bootstrapMedianDifference(a, b, { seed: 42, resamples: 2000 });
    const r3 = bootstrapMedianDifference(a, b, { seed: 43, resamples: 2000 });
    assert.deepEqual(r1, r2);
    assert.ok(!isEmpty(r1) && !isEmpty(r3));
    assert.notEqual(r1.low, r3.low);
    assert.ok(r1.low <= r1.observed && r1.observed <= r1.high, `${r1.low} ≤ ${r1.observed} ≤ ${r1.high}`);
    assert.ok(r1.low > 20 && r1.high < 40, `interval [${r1.low}, ${r1.high}] around a shift of 30`);
    const same = bootstrapMedianDifference(a, a, { seed: 1 });
    assert.ok(!isEmpty(same) && same.low < 0 && same.high > 0);
    assert.ok(isEmpty(bootstrapMedianDifference(a, [NaN])));
  });
});

suite('group', () => {
  const run = (id: string, lr: number, target: string, sweep: string, loss?: { last: number; min: number; max: number; mean: number }): RunRecord => ({
    schema_version: 1, id, sweep_id: sweep, experiment: 'train', experiment_file: 'train.experiment.yaml',
    trial: { index: 0, key: id, name: `trial-${id}`, repeat: 0 }, params: { 'params.lr': lr }, target, status: 'succeeded',
    created: '2026-11-23T00:00:00Z', attempts: [], host: 'h',
    summary: loss ? { loss: { ...loss, count: 10 }, acc: { last: 0.9, min: 0.1, max: 0.9, mean: 0.5, count: 10 } } : {},
  });
  const runs = [
    run('r1', 0.01, 'local', 's1', { last: 0.5, min: 0.4, max: 2, mean: 1 }),
    run('r2', 0.001, 'k8s', 's1', { last: 0.7, min: 0.6, max: 2.2, mean: 1.2 }),
    run('r3', 0.01, 'local', 's2', { last: 0.3, min: 0.3, max: 1.9, mean: 0.9 }),
    run('r4', 0.001, 'local', 's2'),
    run('r5', 0.1, 'k8s', 's2'),
  ];

  it('groups run records by a key path and reduces a metric per run', () => {
    const groups = groupItems(runs, { by: 'params.lr', metrics: ['loss', 'acc'] });
    assert.deepEqual(groups.map((g) => [g.key, g.size]), [['0.001', 2], ['0.01', 2], ['0.1', 1]]);
    const lr001 = groups[1].metrics.loss;
    assert.deepEqual([...lr001.values], [0.5, 0.3]);
    assert.deepEqual(lr001.ids, ['r1', 'r3']);
    assert.equal(groups[0].metrics.loss.missing, 1);
    const mins = groupItems(runs, { by: 'params.lr', metrics: ['loss'], reduce: 'min' });
    assert.deepEqual([...mins[1].metrics.loss.values], [0.4, 0.3]);
    assert.deepEqual(groupItems(runs, { by: 'target', metrics: [] }).map((g) => g.key), ['k8s', 'local']);
    assert.deepEqual(groupItems(runs, { by: ['sweep_id', 'target'], metrics: [] }).map((g) => g.key),
      ['sweep_id=s1, target=k8s', 'sweep_id=s1, target=local', 'sweep_id=s2, target=k8s', 'sweep_id=s2, target=local']);
    assert.equal(valueAt(runs[0], 'trial.name'), 'trial-r1');
    assert.equal(valueAt(runs[0], 'params.lr'), 0.01);
    const tagged = [{ ...runs[0], tags: { team: 'vision' } }, runs[1]];
    assert.deepEqual(groupItems(tagged, { by: 'tags.team', metrics: [] }).map((g) => g.key), ['vision', '(none)']);
  });

  it('summaries count missing values per group and explain an empty group', () => {
    const groups = groupItems(runs, { by: 'params.lr', metrics: ['loss'] });
    const [g001, g01, g1] = summarizeGroups(groups, 'loss');
    assert.equal(g001.missing, 1);
    const d = filled(g001.summary);
    assert.equal(d.n, 1);
    assert.equal(d.excluded, 1);
    close(filled(g01.summary).mean, 0.4, 'mean of final loss');
    assert.ok(isEmpty(g1.summary));
    assert.equal(g1.summary.message, "no value of 'loss' in 1 item of group 0.1");
  });

  it('groups CSV rows (runs.csv columns and plain columns) the same way', () => {
    // As FileStore.writeTables() writes runs.csv: parameters by path, metrics as <name>.last/min/max/mean.
    const rows: GroupItem[] = [
      { run_id: 'r1', 'params.lr': '0.01', target: 'local', 'loss.last': '0.5', 'loss.min': '0.4', 'tags.team': 'nlp' },
      { run_id: 'r2', 'params.lr': '0.001', target: 'k8s', 'loss.last': '0.7', 'loss.min': '0.6', 'tags.team': 'nlp' },
      { run_id: 'r3', 'params.lr': '0.01', target: 'local', 'loss.last': '0.3', 'loss.min': '0.3', 'tags.team': 'cv' },
      { run_id: 'r4', 'params.lr': '0.001', target: 'local', 'loss.last': '', 'loss.min': '', 'tags.team': 'cv' },
    ];
    const byParam = groupItems(rows, { by: 'params.lr', metrics: ['loss'] });
    assert.deepEqual(byParam.map((g) => [g.key, [...g.metrics.loss.values], g.metrics.loss.missing]), [
      ['0.001', [0.7, NaN], 1], ['0.01', [0.5, 0.3], 0],
    ]);
    assert.deepEqual(byParam[1].metrics.loss.ids, ['r1', 'r3']);
    // The records and their CSV rows group alike (numbers and their text spelling share a key).
    assert.deepEqual(byParam.map((g) => g.key), groupItems(runs.slice(0, 4), { by: 'params.lr', metrics: [] }).map((g) => g.key));
    assert.deepEqual(groupItems(rows, { by: 'tags.team', metrics: ['loss'], reduce: 'min' }).map((g) => [g.key, [...g.metrics.loss.values]]), [
      ['cv', [0.3, NaN]], ['nlp', [0.4, 0.6]],
    ]);
    const plain: GroupItem[] = [{ job: 'a', loss: '1.5' }, { job: 'a', loss: 'n/a' }, { job: 'b', loss: '2' }];
    const g = groupItems(plain, { by: 'job', metrics: ['loss'], reduce: 'max' });
    assert.deepEqual(g.map((x) => [x.key, [...x.metrics.loss.values], x.metrics.loss.ids]), [['a', [1.5, NaN], ['0', '1']], ['b', [2], ['2']]]);
  });

  it('runs.csv written by the store groups exactly like the records it came from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'expctl-stats-'));
    const store = new FileStore(dir);
    try {
      for (const r of runs) await store.create(r, 'name: train\n');
      store.writeTables();
      const csv = parseCsv(readFileSync(join(dir, 'runs.csv'), 'utf8'));
      const rows = csv.rows.map((r) => Object.fromEntries(csv.header.map((h, i) => [h, r.cells[i]])));
      for (const reduce of ['final', 'min', 'max', 'mean'] as const) {
        const fromCsv = groupItems(rows, { by: ['params.lr', 'target'], metrics: ['loss', 'acc'], reduce });
        const fromRuns = groupItems(runs, { by: ['params.lr', 'target'], metrics: ['loss', 'acc'], reduce });
        const view = (gs: typeof fromCsv) => gs.map((g) => [g.key, g.size, ...['loss', 'acc'].map((m) => [[...g.metrics[m].values], g.metrics[m].ids, g.metrics[m].missing])]);
        assert.deepEqual(view(fromCsv), view(fromRuns), reduce);
      }
    } finally {
      await store.flush(); // run.json files are written in the background
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs.csv names of run fields group records too: repeat, trial_name, run_id', () => {
    const reps = runs.map((r, i) => ({ ...r, trial: { ...r.trial, repeat: i % 2 } }));
    assert.deepEqual(groupItems(reps, { by: 'repeat', metrics: [] }).map((g) => [g.key, g.size]), [['0', 3], ['1', 2]]);
    assert.equal(valueAt(runs[1], 'trial_name'), 'trial-r2');
    assert.equal(valueAt(runs[1], 'run_id'), 'r2');
    // A CSV column of that name still wins on a CSV row.
    assert.equal(valueAt({ repeat: '7' }, 'repeat'), '7');
  });

  it('pools every reported value per group (lists element by element), counting the non-finite ones', () => {
    const reports: Record<string, unknown[][]> = {
      r1: [[0.1, 'x'], [0.2], [[0.3, 0.4]]], // metric 0: 0.1, 0.2, 0.3, 0.4; metric 1: 'x' (text)
      r3: [[0.5], ['NaN']],
      r2: [[[1, 2, 'Infinity']]],
    };
    const groups = poolItems(runs, {
      by: 'params.lr', metrics: ['lat', 'other'],
      reported: (item, add) => {
        for (const line of reports[(item as RunRecord).id] ?? []) line.forEach((v, m) => add(m, v));
      },
    });
    const lr001 = groups.find((g) => g.key === '0.01')!.metrics.lat;
    assert.deepEqual([...lr001.values], [0.1, 0.2, 0.3, 0.4, 0.5, NaN]);
    assert.deepEqual(lr001.ids, ['r1', 'r1', 'r1', 'r1', 'r3', 'r3']);
    assert.deepEqual([lr001.missing, lr001.reasons], [1, { NaN: 1 }]);
    const other = groups.find((g) => g.key === '0.01')!.metrics.other;
    // r1's text, and r3 reported no `other` at all.
    assert.deepEqual([other.missing, other.reasons], [2, { 'not a number': 1, missing: 1 }]);
    const lr0001 = groups.find((g) => g.key === '0.001')!.metrics.lat;
    assert.deepEqual([[...lr0001.values], lr0001.reasons], [[1, 2, NaN, NaN], { Infinity: 1, missing: 1 }]);
    const s = summarizeGroups(groups, 'lat', { quantiles: [0.95] })[1].summary;
    close(filled(s).quantiles[0].value, filled(describe([0.1, 0.2, 0.3, 0.4, 0.5], { quantiles: [0.95] })).quantiles[0].value, 'pooled p95');
  });

  // Speed is measured in bench/stats.ts (10,000 runs × 20 metrics), not asserted here.
  it('groups 10,000 runs × 20 metrics: every run lands in one group', () => {
    const metrics = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const many = Array.from({ length: 10_000 }, (_, i) => {
      const r = run(`r${i}`, [0.1, 0.01, 0.001][i % 3], 'local', `s${i % 7}`);
      for (const m of metrics) r.summary[m] = { last: i % 97, min: 0, max: 100, mean: 50, count: 3 };
      return r;
    });
    const groups = groupItems(many, { by: 'params.lr', metrics });
    for (const m of metrics) summarizeGroups(groups, m);
    assert.equal(groups.reduce((s, g) => s + g.size, 0), 10_000);
  });
});
