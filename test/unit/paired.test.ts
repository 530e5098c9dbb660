import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe as suite, it } from 'node:test';
import {
  StatsError, bootstrapMedian, isEmpty, mannWhitneyU, pairedComparison, pairedTTest, welchTTest, wilcoxonSignedRank,
  type Value, type WilcoxonResult,
} from '../../core/src/stats';

// Reference values: scripts/reference/stats.py (scipy 1.17.1 wilcoxon / ttest_rel) over the committed datasets.
const FIXTURES = join(__dirname, '..', 'fixtures', 'stats');
type RawValue = number | null | 'NaN' | 'Infinity' | '-Infinity';
const spec = JSON.parse(readFileSync(join(FIXTURES, 'datasets.json'), 'utf8')) as { datasets: Record<string, RawValue[]> };
interface PairedRef {
  a: string; b: string; n: number; excluded: number; zeros: number; median_diff: number;
  wins_minimize: number; ties: number; losses_minimize: number;
  wilcoxon: { statistic: number; p: number; method: WilcoxonResult['method'] };
  wilcoxon_asymptotic: { p: number; z: number };
  wilcoxon_exact?: { p: number };
  ttest_rel: { t: number; df: number; p: number };
  welch_p: number; mannwhitney_p: number;
}
const ref = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8')) as { paired: PairedRef[] };
const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const data = (name: string): Value[] => spec.datasets[name].map((v) => (typeof v === 'string' ? SPECIAL[v] : v));

/** Equal to 1e-9 relative, or 1e-300 absolute (p-values go far below 1e-12). */
function close(actual: number | undefined, expected: number, what: string): void {
  assert.equal(typeof actual, 'number', `${what}: got ${actual}`);
  const tol = Math.max(1e-9 * Math.abs(expected), 1e-300);
  assert.ok(Math.abs((actual as number) - expected) <= tol, `${what}: ${actual} vs reference ${expected} (diff ${Math.abs((actual as number) - expected)})`);
}

function filled<R extends { empty: boolean }>(r: R, what: string): Exclude<R, { empty: true }> {
  assert.ok(!r.empty, `${what} unexpectedly empty`);
  return r as Exclude<R, { empty: true }>;
}

suite('paired tests against scipy (wilcoxon, ttest_rel)', () => {
  assert.ok(ref.paired.length >= 10, 'reference.json has the paired sets (run scripts/reference/stats.py)');
  for (const r of ref.paired) {
    it(`${r.a} vs ${r.b} (${r.n} pairs, ${r.wilcoxon.method})`, () => {
      const a = data(r.a);
      const b = data(r.b);
      const w = filled(wilcoxonSignedRank(a, b), 'wilcoxon');
      assert.equal(w.n, r.n);
      assert.equal(w.excluded, r.excluded);
      assert.equal(w.zeros, r.zeros);
      assert.equal(w.method, r.wilcoxon.method);
      close(w.statistic, r.wilcoxon.statistic, 'wilcoxon statistic');
      close(w.p, r.wilcoxon.p, 'wilcoxon p (auto)');
      const wa = filled(wilcoxonSignedRank(a, b, { method: 'asymptotic' }), 'asymptotic');
      close(wa.p, r.wilcoxon_asymptotic.p, 'wilcoxon p (asymptotic)');
      // scipy's z for two-sided asymptotic is −|z|.
      close(-Math.abs(wa.z!), r.wilcoxon_asymptotic.z, 'wilcoxon z');
      if (r.wilcoxon_exact) close(filled(wilcoxonSignedRank(a, b, { method: 'exact' }), 'exact').p, r.wilcoxon_exact.p, 'wilcoxon p (exact)');
      const t = filled(pairedTTest(a, b), 't');
      close(t.t, r.ttest_rel.t, 'ttest_rel t');
      close(t.df, r.ttest_rel.df, 'ttest_rel df');
      close(t.p, r.ttest_rel.p, 'ttest_rel p');
      const c = filled(pairedComparison(a, b), 'comparison');
      assert.deepEqual([c.wins, c.ties, c.losses], [r.wins_minimize, r.ties, r.losses_minimize]);
      close(c.medianDiff.observed, r.median_diff, 'median difference');
      const up = filled(pairedComparison(a, b, { goal: 'maximize' }), 'maximize');
      assert.deepEqual([up.wins, up.losses], [r.losses_minimize, r.wins_minimize]);
    });
  }
});

suite('paired comparisons', () => {
  it('two schedulers on 27 load-test cells: unpaired tests see nothing, the paired ones see 25 wins', () => {
    const ours = data('sched_ours');
    const base = data('sched_base');
    const welch = filled(welchTTest(ours, base), 'welch');
    const mw = filled(mannWhitneyU(ours, base), 'mw');
    assert.ok(welch.p! > 0.3 && mw.p > 0.3, `unpaired p: Welch ${welch.p}, Mann–Whitney ${mw.p}`);
    const c = filled(pairedComparison(ours, base, { seed: 7 }), 'paired');
    assert.deepEqual([c.n, c.wins, c.ties, c.losses], [27, 25, 0, 2]);
    assert.ok(c.wilcoxon.p! < 1e-6 && c.t.p! < 1e-6, `paired p: Wilcoxon ${c.wilcoxon.p}, t ${c.t.p}`);
    assert.equal(c.wilcoxon.method, 'exact');
    // The interval of the median difference lies below 0 and contains the observed median.
    assert.ok(c.medianDiff.high < 0 && c.medianDiff.low <= c.medianDiff.observed && c.medianDiff.observed <= c.medianDiff.high, JSON.stringify(c.medianDiff));
    // Seeded: the same interval every time; another seed moves it.
    assert.deepEqual(filled(pairedComparison(ours, base, { seed: 7 }), 'again').medianDiff, c.medianDiff);
    assert.notDeepEqual(filled(pairedComparison(ours, base, { seed: 8 }), 'seed 8').medianDiff, c.medianDiff);
  });

  it('every difference 0, one pair, constant differences: reasons instead of p-values', () => {
    const same = filled(wilcoxonSignedRank([1, 2, 3], [1, 2, 3]), 'zeros');
    assert.equal(same.p, undefined);
    assert.match(same.reason ?? '', /every one of the 3 pairs has a difference of 0/);
    const one = filled(pairedTTest([1], [2]), 'one');
    assert.equal(one.p, undefined);
    assert.match(one.reason ?? '', /needs at least 2 pairs \(n=1\)/);
    const shift = filled(pairedTTest([1, 2, 3], [2, 3, 4]), 'shift');
    assert.equal(shift.p, undefined);
    assert.match(shift.reason ?? '', /every pair differs by the same amount \(-1\)/);
  });

  it('no finite pair is Empty with a message; misuse throws StatsError', () => {
    const e = wilcoxonSignedRank([NaN, 1], [2, Infinity]);
    assert.ok(isEmpty(e));
    assert.match(e.message, /no pair with finite values on both sides: all 2 excluded/);
    assert.ok(isEmpty(pairedComparison([], [])));
    assert.throws(() => wilcoxonSignedRank([1, 2], [1]), (err: unknown) => err instanceof StatsError && /same length/.test(err.message));
    assert.throws(() => wilcoxonSignedRank([1], [2], { method: 'fast' as never }), StatsError);
    assert.throws(() => pairedComparison([1], [2], { goal: 'up' as never }), StatsError);
    assert.throws(() => bootstrapMedian(new Float64Array(0)), StatsError);
  });

  it('1e5 pairs: asymptotic, and the p-value follows the shift', () => {
    const n = 100_000;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) { a[i] = Math.sin(i) * 10 + (i % 7) * 0.001; b[i] = Math.sin(i) * 10; }
    const w = filled(wilcoxonSignedRank(a, b), 'big');
    assert.equal(w.method, 'asymptotic');
    assert.equal(w.zeros, Math.ceil(n / 7));
    assert.ok(w.p! < 1e-300 || w.p === 0);
  });
});
