// compareGroups: the parts (ranking, tests, bootstrap, speedup) put together as the CLI and the
// Compare panel show them. The parts themselves are checked against scipy in stats.test.ts.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { bootstrapMedianDifference, compareGroups, mannWhitneyU, welchTTest } from '../../core/src/stats';

const fast = [10, 11, 12, 11, 10, 13];
const slow = [20, 22, 21, 25, 19, 23];

test('ranks, ratios, tests against the best, bootstrap interval; empty groups listed with why', () => {
  const c = compareGroups([
    { key: 'slow', values: slow, ids: slow.map((_, i) => `s${i}`) },
    { key: 'none', values: [Number.NaN, null] },
    { key: 'fast', values: fast },
  ], { metric: 'load_s', goal: 'minimize', seed: 7, resamples: 2000 });
  assert.deepEqual(c.rows.map((r) => [r.key, r.rank, r.value, r.n]), [['fast', 1, 11, 6], ['slow', 2, 21.5, 6]]);
  assert.equal(c.rows[1].ratio, 21.5 / 11);
  assert.equal(c.rows[0].vsBest, undefined);
  const w = welchTTest(slow, fast);
  const mw = mannWhitneyU(slow, fast);
  const bs = bootstrapMedianDifference(slow, fast, { seed: 7, resamples: 2000 });
  assert.ok(!w.empty && !mw.empty && !bs.empty);
  assert.deepEqual(c.rows[1].vsBest, { welchP: w.p, mannWhitneyP: mw.p, medianDiff: { observed: 10.5, low: bs.low, high: bs.high, level: 0.95 } });
  assert.ok(bs.low > 0, 'a clear shift: the interval excludes 0');
  assert.equal(c.empty.length, 1);
  assert.equal(c.empty[0].key, 'none');
  assert.equal(c.rows[1].summary.box.median, 21.5);
});

test('speedup and efficiency against the campaign with the most wall time', () => {
  const c = compareGroups([
    { key: 'laptop (sequential)', values: [1, 2, 3], wallS: 1800, workers: 1, trialS: [100, 100, 100] },
    { key: 'kubeflow ×6', values: [1, 2, 3], wallS: 400, workers: 6, trialS: [120, 130, 110] },
  ], { metric: 'loss' });
  const k = c.rows.find((r) => r.key === 'kubeflow ×6')!;
  assert.deepEqual(k.speedup, { speedup: 4.5, efficiency: 0.75, workers: 6, trialSpeedup: 100 / 120, baseline: 'laptop (sequential)', perTrial: false, trials: undefined, baselineTrials: undefined });
  assert.equal(c.rows.find((r) => r.key.startsWith('laptop'))!.speedup, undefined);
});

test('a sequential subset of the grid: speedup per trial, and the baseline is the slowest per trial, not the longest', () => {
  // 3 trials on the laptop in 300 s (100 s each); all 18 on the cluster, 18 at once, in 400 s.
  const laptop = { key: 'laptop', values: [1, 2, 3], wallS: 300, workers: 1, trialS: [100, 100, 100], trials: 3 };
  const cluster = { key: 'cluster', values: Array.from({ length: 18 }, (_, i) => 1 + i / 10), wallS: 400, workers: 18, trialS: Array(18).fill(110), trials: 18 };
  const c = compareGroups([laptop, cluster], { metric: 'loss' });
  const k = c.rows.find((r) => r.key === 'cluster')!;
  assert.equal(c.rows.find((r) => r.key === 'laptop')!.speedup, undefined, 'the laptop is the baseline');
  assert.equal(k.speedup?.baseline, 'laptop');
  assert.ok(Math.abs(k.speedup!.speedup - 100 / (400 / 18)) < 1e-12, String(k.speedup!.speedup));
  assert.ok(Math.abs(k.speedup!.efficiency - 100 / (400 / 18) / 18) < 1e-12);
  assert.deepEqual([k.speedup?.perTrial, k.speedup?.trials, k.speedup?.baselineTrials], [true, 18, 3]);
  // Without a count on every campaign: wall times as they are.
  const bare = compareGroups([{ ...laptop, trials: undefined }, cluster], { metric: 'loss' });
  assert.equal(bare.rows.find((r) => r.key === 'laptop')!.speedup?.baseline, 'cluster');
  assert.equal(bare.rows.find((r) => r.key === 'laptop')!.speedup?.perTrial, false);
});

test('speedup only between campaigns of the same trials (or a subset); per unit of a --work metric whatever the trials', () => {
  const keys = (...ks: string[]) => ks;
  const base = { key: 'seq', values: slow, wallS: 600, workers: 1, trials: 4, trialKeys: keys('a', 'b', 'c', 'd') };
  const other = { key: 'other', values: fast, wallS: 60, workers: 4, trials: 4, trialKeys: keys('e', 'f', 'g', 'a') };
  const c = compareGroups([base, other], { metric: 'x', resamples: 200 });
  const row = c.rows.find((r) => r.key === 'other')!;
  assert.equal(row.speedup, undefined);
  assert.equal(row.noSpeedup, 'no speedup against seq: they ran different trials (4 and 4, 1 in common) — compare campaigns of the same trials, or per unit of work with --work METRIC');
  const subset = compareGroups([base, { ...other, trials: 2, trialKeys: keys('a', 'b'), wallS: 30 }], { metric: 'x', resamples: 200 }).rows.find((r) => r.key === 'other')!;
  assert.deepEqual([subset.speedup?.speedup, subset.speedup?.perTrial, subset.noSpeedup], [10, true, undefined]);
  const work = compareGroups([{ ...base, work: 1000 }, { ...other, work: 500 }], { metric: 'x', resamples: 200, work: 'tokens' }).rows.find((r) => r.key === 'other')!;
  assert.deepEqual([work.speedup?.speedup, work.speedup?.per, work.speedup?.trials, work.speedup?.baselineTrials, work.noSpeedup], [5, 'tokens', 500, 1000, undefined]);
});
