import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Experiment, ParamSpec, Sweep } from '../../core/src/config/types';
import { renderTemplate } from '../../core/src/config/template';
import {
  SweepError, canonicalJson, checkSweep, countTrials, expandSweep, gridCount, gridValues, intUniform, logUniform, mulberry32, normal,
  quantize, trialConfig, trialKey, type Trial,
} from '../../core/src/sweep';
import { closest, levenshtein } from '../../core/src/util/strings';
import { archSweep } from '../helpers/fixtures';

const experiment: Experiment = {
  name: 'train',
  command: ['python', 'train.py', '--batch-size', '{params.batch_size}'],
  params: { learning_rate: 0.01, hidden_size: 32, num_layers: 1, batch_size: 192, opt: { name: 'adam', beta: 0.9 } },
  resources: { gpus: 1, gpu_type: 'H100' },
};


const grid = (parameters: Record<string, ParamSpec>, extra: Partial<Sweep> = {}): Sweep => ({ method: 'grid', parameters, ...extra });
const random = (parameters: Record<string, ParamSpec>, extra: Partial<Sweep> = {}): Sweep => ({ method: 'random', parameters, ...extra });

describe('grid', () => {
  it('expands the ARCHITECTURE.md example to 3×3×2 = 18 trials, last key fastest', () => {
    const e = expandSweep(archSweep(), experiment);
    assert.equal(e.total, 18);
    assert.equal(e.trials.length, 18);
    assert.equal(e.excluded, 0);
    assert.equal(e.truncated, false);
    assert.deepEqual(e.trials.slice(0, 3).map((t) => t.params), [
      { 'params.learning_rate': 1e-4, 'params.hidden_size': 64, 'params.num_layers': 2 },
      { 'params.learning_rate': 1e-4, 'params.hidden_size': 64, 'params.num_layers': 3 },
      { 'params.learning_rate': 1e-4, 'params.hidden_size': 128, 'params.num_layers': 2 },
    ]);
    assert.deepEqual(e.trials[17].params, { 'params.learning_rate': 1e-3, 'params.hidden_size': 256, 'params.num_layers': 3 });
    assert.deepEqual(e.trials.map((t) => t.index), [...Array(18).keys()]);
    assert.equal(e.trials[0].name, 'lr0.0001_h64_l2');
    assert.equal(e.trials[17].name, 'lr0.001_h256_l3');
    assert.deepEqual(countTrials(archSweep()), { count: 18, exact: true });
  });

  it('treats value specs as a single grid value and an empty parameter set as one trial', () => {
    const e = expandSweep(grid({ 'params.a': { values: [1, 2] }, 'params.b': { value: 'x' } }), experiment);
    assert.deepEqual(e.trials.map((t) => t.params), [{ 'params.a': 1, 'params.b': 'x' }, { 'params.a': 2, 'params.b': 'x' }]);
    const none = expandSweep({ method: 'grid' }, experiment);
    assert.equal(none.total, 1);
    assert.deepEqual(none.trials[0].params, {});
  });

  it('ranges are inclusive with float tolerance and free of float noise', () => {
    assert.deepEqual(gridValues({ range: { min: 0.1, max: 0.5, step: 0.1 } }), [0.1, 0.2, 0.3, 0.4, 0.5]);
    assert.deepEqual(gridValues({ range: { min: 0, max: 1, step: 0.1 } })?.length, 11);
    assert.deepEqual(gridValues({ range: { min: 0, max: 0.3, step: 0.1 } }), [0, 0.1, 0.2, 0.3]);
    assert.deepEqual(gridValues({ range: { min: 1, max: 10, step: 3 } }), [1, 4, 7, 10]);
    assert.deepEqual(gridValues({ range: { min: 1, max: 9, step: 3 } }), [1, 4, 7]);
    assert.deepEqual(gridValues({ range: { min: 2, max: 2, step: 1 } }), [2]);
    assert.deepEqual(gridValues({ range: { min: -0.3, max: 0, step: 0.1 } }), [-0.3, -0.2, -0.1, 0]);
  });

  it('gridValues: values, value, choice; undefined for continuous distributions', () => {
    assert.deepEqual(gridValues({ values: [1, 'a'] }), [1, 'a']);
    assert.deepEqual(gridValues({ value: { a: 1 } }), [{ a: 1 }]);
    assert.deepEqual(gridValues({ distribution: 'choice', values: ['x', 'y'], probabilities: [0.5, 0.5] }), ['x', 'y']);
    for (const d of ['uniform', 'log_uniform', 'int_uniform'] as const) {
      assert.equal(gridValues({ distribution: d, min: 1, max: 2 }), undefined);
    }
    assert.equal(gridValues({ distribution: 'normal', mu: 0, sigma: 1 }), undefined);
    assert.equal(gridCount({ range: { min: 0, max: 9_999_999, step: 1 } }), 10_000_000, 'O(1), not materialised');
    assert.equal(gridCount({ values: [1, 2, 3] }), 3);
    assert.equal(gridCount({ distribution: 'uniform', min: 0, max: 1 }), undefined);
    assert.throws(() => gridCount({ range: { min: 0, max: 1, step: 0 } }), SweepError);
  });

  it('throws SweepError with a path for a continuous distribution or a bad range', () => {
    const s = grid({ 'params.lr': { distribution: 'uniform', min: 0, max: 1 } });
    assert.throws(() => expandSweep(s, experiment), (e: unknown) =>
      e instanceof SweepError && assert.deepEqual(e.path, ['parameters', 'params.lr', 'distribution']) === undefined
      && e.rule === 'sweep-grid-continuous');
    assert.throws(() => gridValues({ range: { min: 0, max: 1, step: 0 } }), SweepError);
    assert.throws(() => gridValues({ range: { min: 0, max: 1, step: -0.1 } }), SweepError);
    assert.throws(() => gridValues({ range: { min: 0, max: 1e8, step: 1 } }), /at most 10,000,000/);
    assert.throws(() => expandSweep(grid({ 'params.x': { range: { min: 2, max: 1, step: 1 } } }), experiment),
      (e: unknown) => e instanceof SweepError && e.path.join('/') === 'parameters/params.x/range/min');
    // countTrials never throws.
    const c = countTrials(s);
    assert.equal(c.exact, false);
    assert.ok(c.error instanceof SweepError);
  });

  it('checkSweep lists every problem, not just the first', () => {
    const errs = checkSweep(grid({
      'params.a': { distribution: 'normal', mu: 0, sigma: 1 },
      'params.b': { range: { min: 0, max: 1, step: 0 } },
    }));
    assert.deepEqual(errs.map((e) => e.rule), ['sweep-grid-continuous', 'sweep-range']);
  });

  it('countTrials is exact for a grid (× repeat), with exclude too; an upper bound for random with exclude', () => {
    const big = grid(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`params.p${i}`, { range: { min: 0, max: 99, step: 1 } }])));
    assert.deepEqual(countTrials(big), { count: 1e12, exact: true });
    assert.deepEqual(countTrials({ ...archSweep(), repeat: 3 }), { count: 54, exact: true });
    assert.deepEqual(countTrials({ ...archSweep(), exclude: [{ 'params.num_layers': 3 }] }), { count: 9, exact: true });
    assert.deepEqual(countTrials(random({ 'params.a': { values: [1, 2] } }, { samples: 7, exclude: [{ 'params.a': 1 }] })), { count: 7, exact: false });
    assert.deepEqual(countTrials(random({ 'params.a': { values: [1] } }, { samples: 7, repeat: 2 })), { count: 14, exact: true });
    assert.deepEqual(countTrials(random({})), { count: 10, exact: true });
    assert.deepEqual(countTrials({ method: 'list', trials: [{}, {}, {}] }), { count: 3, exact: true });
  });
});

describe('exclude counted without enumerating', () => {
  // Inclusion–exclusion over the rules' boxes must agree with enumerating every combination.
  it('equals enumeration on 300 random grids with overlapping, list-valued and never-matching rules', () => {
    const rng = mulberry32(7);
    const pick = (n: number) => Math.floor(rng() * n);
    for (let t = 0; t < 300; t++) {
      const dims = 1 + pick(4);
      const parameters: Record<string, ParamSpec> = {};
      for (let d = 0; d < dims; d++) parameters[`params.p${d}`] = { values: Array.from({ length: 1 + pick(4) }, () => pick(3)) }; // repeats on purpose
      const exclude = Array.from({ length: pick(6) }, () => {
        const rule: Record<string, unknown> = {};
        for (let d = 0; d < dims; d++) if (rng() < 0.5) rule[`params.p${d}`] = rng() < 0.3 ? [pick(3), pick(3)] : pick(3);
        if (rng() < 0.1) rule['params.other'] = 1;
        return rule;
      });
      const sweep = { method: 'grid', parameters, exclude, repeat: 1 + pick(2) } as Sweep;
      const all = expandSweep(sweep, undefined);
      assert.deepEqual(countTrials(sweep), { count: all.total, exact: true }, JSON.stringify(sweep));
      const limited = expandSweep(sweep, undefined, { limit: 2 });
      assert.equal(limited.total, all.total, JSON.stringify(sweep));
      assert.equal(limited.excluded, all.excluded, JSON.stringify(sweep));
      assert.deepEqual(limited.trials, all.trials.slice(0, 2));
    }
  });

  it('a 10^9-trial grid with exclude rules: exact total at once, first trials only', () => {
    const range = { range: { min: 0, max: 999, step: 1 } };
    const sweep = grid({ 'params.a': range, 'params.b': range, 'params.c': range }, {
      exclude: [{ 'params.a': 1 }, { 'params.b': [1, 2] }, { 'params.a': 1, 'params.b': 1 }],
      name_template: 't-{params.a}-{params.b}-{params.c}',
    });
    const t0 = performance.now();
    const ex = expandSweep(sweep, undefined, { limit: 3 });
    assert.ok(performance.now() - t0 < 1000, 'counted, not enumerated');
    // a = 1 removes 10^6; b ∈ {1, 2} removes 2·10^6; both overlap on 2·10^3; the third rule is inside the first.
    assert.equal(ex.excluded, 1e6 + 2e6 - 2e3);
    assert.equal(ex.total, 1e9 - ex.excluded);
    assert.deepEqual(ex.trials.map((x) => x.name), ['t-0-0-0', 't-0-0-1', 't-0-0-2']);
    assert.deepEqual(countTrials(sweep), { count: ex.total, exact: true });
  });
});

describe('random', () => {
  const spec: Record<string, ParamSpec> = {
    'params.learning_rate': { distribution: 'log_uniform', min: 1e-5, max: 1e-1 },
    'params.hidden_size': { values: [64, 128, 256] },
    'params.dropout': { distribution: 'uniform', min: 0, max: 0.5 },
  };

  it('mulberry32 is pinned: a change to the PRNG must be deliberate', () => {
    const r = mulberry32(42);
    assert.deepEqual([r(), r(), r()], [0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const r0 = mulberry32(0);
    assert.deepEqual([r0(), r0(), r0()], [0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]);
  });

  it('sampled trials are pinned for a fixed seed', () => {
    const e = expandSweep(random({
      'params.lr': { distribution: 'log_uniform', min: 1e-5, max: 1e-1 },
      'params.bs': { values: [16, 32, 64] },
    }, { seed: 42, samples: 3 }), undefined);
    assert.deepEqual(e.trials.map((t) => t.params), [
      { 'params.lr': 0.000621101010741459, 'params.bs': 32 },
      { 'params.lr': 0.004774590897603274, 'params.bs': 64 },
      { 'params.lr': 0.0012775272388641, 'params.bs': 16 },
    ]);
  });

  it('is deterministic for a seed and differs across seeds; default 10 samples, seed 0', () => {
    const a = expandSweep(random(spec, { seed: 7, samples: 20 }), experiment);
    const b = expandSweep(random(spec, { seed: 7, samples: 20 }), experiment);
    const c = expandSweep(random(spec, { seed: 8, samples: 20 }), experiment);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.trials.map((t) => t.params), c.trials.map((t) => t.params));
    const d = expandSweep(random(spec), experiment);
    assert.equal(d.trials.length, 10);
    assert.deepEqual(d, expandSweep(random(spec, { seed: 0 }), experiment));
  });

  it('samples in key order: reordering the parameters does not change the draws', () => {
    const reversed = Object.fromEntries(Object.entries(spec).reverse());
    const a = expandSweep(random(spec, { seed: 3 }), experiment);
    const b = expandSweep(random(reversed, { seed: 3 }), experiment);
    assert.deepEqual(a.trials.map((t) => t.key), b.trials.map((t) => t.key));
    assert.deepEqual(Object.keys(b.trials[0].params), Object.keys(reversed), 'params keep the order written');
  });

  it('every distribution stays in bounds', () => {
    const e = expandSweep(random({
      'params.u': { distribution: 'uniform', min: -2, max: 3 },
      'params.lu': { distribution: 'log_uniform', min: 1e-4, max: 1e-2 },
      'params.i': { distribution: 'int_uniform', min: 1, max: 4 },
      'params.uq': { distribution: 'uniform', min: 0.12, max: 0.95, q: 0.1 },
      'params.iq': { distribution: 'int_uniform', min: 0, max: 100, q: 8 },
      'params.n': { distribution: 'normal', mu: 10, sigma: 2 },
      'params.nq': { distribution: 'normal', mu: 0, sigma: 1, q: 0.5 },
      'params.r': { range: { min: 0.1, max: 0.5, step: 0.1 } },
    }, { samples: 2000, seed: 11 }), undefined);
    const ints = new Set<unknown>();
    for (const t of e.trials) {
      const p = t.params as Record<string, number>;
      assert.ok(p['params.u'] >= -2 && p['params.u'] < 3);
      assert.ok(p['params.lu'] >= 1e-4 && p['params.lu'] <= 1e-2, String(p['params.lu']));
      assert.ok(Number.isInteger(p['params.i']) && p['params.i'] >= 1 && p['params.i'] <= 4);
      ints.add(p['params.i']);
      assert.ok(p['params.uq'] >= 0.12 && p['params.uq'] <= 0.95, String(p['params.uq']));
      assert.equal(p['params.uq'], Number((Math.round(p['params.uq'] * 10) / 10).toFixed(1)), 'multiple of 0.1 without float noise');
      assert.ok(p['params.iq'] % 8 === 0 && p['params.iq'] >= 0 && p['params.iq'] <= 100);
      assert.ok(Number.isFinite(p['params.n']));
      assert.ok(Number.isInteger(p['params.nq'] * 2) && !Object.is(p['params.nq'], -0));
      assert.ok([0.1, 0.2, 0.3, 0.4, 0.5].includes(p['params.r']));
    }
    assert.deepEqual([...ints].sort(), [1, 2, 3, 4], 'both ends of int_uniform are reachable');
    const ns = e.trials.map((t) => t.params['params.n'] as number);
    const mean = ns.reduce((a, b) => a + b, 0) / ns.length;
    assert.ok(Math.abs(mean - 10) < 0.3, `normal mean ${mean}`);
    // log-uniform: about half the mass below the geometric midpoint 1e-3.
    const below = e.trials.filter((t) => (t.params['params.lu'] as number) < 1e-3).length / e.trials.length;
    assert.ok(below > 0.45 && below < 0.55, `log-uniform below midpoint: ${below}`);
  });

  it('choice honours probabilities', () => {
    const e = expandSweep(random({ 'params.o': { distribution: 'choice', values: ['a', 'b', 'c'], probabilities: [0.8, 0.2, 0] } },
      { samples: 1000, seed: 5 }), undefined);
    const counts = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (const t of e.trials) counts[t.params['params.o'] as string]++;
    assert.equal(counts.c, 0);
    assert.ok(counts.a > 740 && counts.a < 860, JSON.stringify(counts));
  });

  it('prng helpers', () => {
    const r = mulberry32(1);
    for (let i = 0; i < 1000; i++) {
      const v = intUniform(r, 1.5, 3.5);
      assert.ok(v === 2 || v === 3);
      const l = logUniform(r, 1, 1000);
      assert.ok(l >= 1 && l <= 1000);
      assert.ok(Number.isFinite(normal(r, 0, 1)));
    }
    assert.equal(quantize(0.1234, 0.01), 0.12);
    assert.equal(quantize(7, 4), 8);
    assert.equal(quantize(0.12, 0.1, 0.12, 0.95), 0.2, 'rounded below min moves one step up');
    assert.equal(quantize(0.96, 0.1, 0.12, 0.95), 0.9, 'rounded above max moves one step down');
  });
});

describe('list', () => {
  it('one trial per entry, merged over constant parameters', () => {
    const e = expandSweep({
      method: 'list',
      parameters: { 'params.batch_size': { value: 64 }, 'resources.gpus': { values: [2] } },
      trials: [{ 'params.learning_rate': 0.1 }, { 'params.learning_rate': 0.2, 'params.batch_size': 32 }],
    }, experiment);
    assert.deepEqual(e.trials.map((t) => t.params), [
      { 'params.batch_size': 64, 'resources.gpus': 2, 'params.learning_rate': 0.1 },
      { 'params.batch_size': 32, 'resources.gpus': 2, 'params.learning_rate': 0.2 },
    ]);
  });

  it('rejects multi-valued parameters and a missing trials list', () => {
    assert.throws(() => expandSweep({ method: 'list', parameters: { 'params.a': { values: [1, 2] } }, trials: [{}] }, experiment),
      (e: unknown) => e instanceof SweepError && e.rule === 'sweep-method-fields' && e.path.join('/') === 'parameters/params.a');
    assert.throws(() => expandSweep({ method: 'list' }, experiment),
      (e: unknown) => e instanceof SweepError && e.path.join('/') === 'method');
  });
});

describe('exclude', () => {
  it('drops trials matching every key of a rule (scalar form) and counts them', () => {
    const e = expandSweep({ ...archSweep(), exclude: [{ 'params.hidden_size': 256, 'params.num_layers': 3 }] }, experiment);
    assert.equal(e.total, 15);
    assert.equal(e.excluded, 3);
    assert.ok(e.trials.every((t) => !(t.params['params.hidden_size'] === 256 && t.params['params.num_layers'] === 3)));
    assert.deepEqual(e.trials.map((t) => t.index), [...Array(15).keys()], 'indices stay dense');
  });

  it('a list value matches any of its items; several rules; repeats count', () => {
    const e = expandSweep({
      ...archSweep(), repeat: 2,
      exclude: [{ 'params.hidden_size': [64, 128], 'params.learning_rate': 1e-4 }, { 'params.learning_rate': [1e-3] }],
    }, experiment);
    // 18 combos: lr=1e-4 with h∈{64,128} → 4; lr=1e-3 → 6; 8 left.
    assert.equal(e.excluded, 20);
    assert.equal(e.total, 16);
    assert.equal(e.trials.length, 16);
  });

  it('matches structured values deeply; keys the trial does not set never match; empty rules match nothing', () => {
    const s = grid({ 'params.layers': { values: [[64, 64], [128]] }, 'params.opt': { values: [{ name: 'sgd', m: 0.9 }, { name: 'adam' }] } });
    assert.equal(expandSweep({ ...s, exclude: [{ 'params.layers': [64, 64] }] }, experiment).total, 2);
    assert.equal(expandSweep({ ...s, exclude: [{ 'params.layers': [[128], [1]] }] }, experiment).total, 2);
    assert.equal(expandSweep({ ...s, exclude: [{ 'params.opt': { m: 0.9, name: 'sgd' } }] }, experiment).total, 2);
    assert.equal(expandSweep({ ...s, exclude: [{ 'params.nope': 1 }] }, experiment).total, 4);
    assert.equal(expandSweep({ ...s, exclude: [{}] }, experiment).total, 4);
  });

  it('applies to random sweeps without redrawing', () => {
    const base = random({ 'params.a': { values: [1, 2] } }, { samples: 50, seed: 1 });
    const all = expandSweep(base, undefined);
    const ex = expandSweep({ ...base, exclude: [{ 'params.a': 1 }] }, undefined);
    const ones = all.trials.filter((t) => t.params['params.a'] === 1).length;
    assert.equal(ex.excluded, ones);
    assert.equal(ex.total, 50 - ones);
  });
});

describe('repeat, names and keys', () => {
  it('repeats are consecutive with indices 0..n-1 and -r suffixes', () => {
    const e = expandSweep({ ...archSweep(), repeat: 3 }, experiment);
    assert.equal(e.total, 54);
    assert.deepEqual(e.trials.slice(0, 4).map((t) => [t.index, t.repeat, t.name]), [
      [0, 0, 'lr0.0001_h64_l2-r0'], [1, 1, 'lr0.0001_h64_l2-r1'], [2, 2, 'lr0.0001_h64_l2-r2'], [3, 0, 'lr0.0001_h64_l3-r0'],
    ]);
    assert.deepEqual(e.trials[0].params, e.trials[1].params);
    assert.notEqual(e.trials[0].params, e.trials[1].params, 'repeats do not share a params object');
    const withVar = expandSweep({ ...archSweep(), repeat: 2, name_template: 'x{params.num_layers}-rep{repeat}' }, experiment);
    assert.deepEqual(withVar.trials.slice(0, 2).map((t) => t.name), ['x2-rep0', 'x2-rep1']);
  });

  it('default names: <experiment>-<index>, or <experiment>-<combination>-r<repeat>', () => {
    const s = grid({ 'params.a': { values: [1, 2] } });
    assert.deepEqual(expandSweep(s, experiment).trials.map((t) => t.name), ['train-0', 'train-1']);
    assert.deepEqual(expandSweep({ ...s, repeat: 2 }, experiment).trials.map((t) => t.name), ['train-0-r0', 'train-0-r1', 'train-1-r0', 'train-1-r1']);
    assert.deepEqual(expandSweep({ ...s, name: 'sw' }, undefined).trials.map((t) => t.name), ['sw-0', 'sw-1']);
  });

  it('name_template variables: swept params, experiment paths, index, repeat, experiment, sweep', () => {
    const e = expandSweep({
      name: 'lr-scan', method: 'grid', parameters: { 'params.learning_rate': { values: [0.0001, 0.5] }, 'params.opt': { value: { name: 'sgd' } } },
      name_template: '{sweep}/{experiment}-{index}-lr{params.learning_rate}-bs{params.batch_size}-{resources.gpu_type}-{params.opt.name}-{params.opt}-{params.missing}-{{lit}}',
    }, experiment);
    assert.equal(e.trials[0].name, 'lr-scan/train-0-lr0.0001-bs192-H100-sgd-{"name":"sgd"}-{params.missing}-{lit}');
    assert.equal(e.trials[1].name, 'lr-scan/train-1-lr0.5-bs192-H100-sgd-{"name":"sgd"}-{params.missing}-{lit}');
    const named = expandSweep({ method: 'grid', name_template: '{sweep}' }, experiment, { sweepName: 'file' });
    assert.equal(named.trials[0].name, 'file');
  });

  it('compiled names agree with renderTemplate', () => {
    const templates = ['a{{b}}{params.x}}}{{{params.x}', '{{params.x}}', '{params.x}{params.x}', 'plain', '', '{params.y.z}', '}{{{'];
    for (const t of templates) {
      for (const method of ['grid', 'random'] as const) {
        const e = expandSweep({ method, samples: 2, parameters: { 'params.x': { values: [1.5, 'q'] }, 'params.y': { value: { z: [1] } } }, name_template: t }, experiment);
        for (const trial of e.trials) {
          assert.equal(trial.name, renderTemplate(t, (n) => trial.params[n] ?? (n === 'params.y.z' ? [1] : undefined)), `${method} ${t}`);
        }
      }
    }
  });

  it('keys: 16 hex digits, stable, sensitive to values and repeat, independent of key order and method', () => {
    const a = expandSweep({ ...archSweep(), repeat: 2 }, experiment).trials;
    const b = expandSweep({ ...archSweep(), repeat: 2 }, experiment).trials;
    assert.deepEqual(a.map((t) => t.key), b.map((t) => t.key));
    assert.ok(a.every((t) => /^[0-9a-f]{16}$/.test(t.key)));
    assert.equal(new Set(a.map((t) => t.key)).size, a.length, 'values and repeat change the key');
    // Pinned: sha256(canonical JSON + "#" + repeat) — what Python's json.dumps(sort_keys=True, separators=(",", ":")) gives.
    assert.equal(trialKey({ 'params.b': 'x', 'params.a': 1 }, 0), '258873f2a8f37eda');
    assert.equal(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x', u: undefined }), '{"a":"x","b":[1,{"c":2,"d":1}]}');
    const reordered: Sweep = { ...archSweep(), parameters: Object.fromEntries(Object.entries(archSweep().parameters!).reverse()) };
    const byParams = (ts: Trial[]) => new Map(ts.map((t) => [JSON.stringify(Object.entries(t.params).sort()), t.key]));
    assert.deepEqual(byParams(expandSweep(reordered, experiment).trials), byParams(expandSweep(archSweep(), experiment).trials));
    // The same params give the same key whichever method produced them.
    const l = expandSweep({ method: 'list', trials: [{ 'params.num_layers': 2, 'params.hidden_size': 64, 'params.learning_rate': 1e-4 }] }, experiment);
    assert.equal(l.trials[0].key, a[0].key);
    assert.equal(l.trials[0].key, trialKey(a[0].params, 0));
  });
});

describe('limit', () => {
  it('stops materialising but reports the total', () => {
    const e = expandSweep(archSweep(), experiment, { limit: 5 });
    assert.equal(e.trials.length, 5);
    assert.equal(e.total, 18);
    assert.equal(e.truncated, true);
    assert.deepEqual(e.trials, expandSweep(archSweep(), experiment).trials.slice(0, 5));
    const all = expandSweep(archSweep(), experiment, { limit: 18 });
    assert.equal(all.truncated, false);
    assert.equal(expandSweep(archSweep(), experiment, { limit: 0 }).trials.length, 0);
  });

  it('with exclude, the total is still exact (enumerated) unless exactTotal is false', () => {
    const s: Sweep = { ...archSweep(), repeat: 2, exclude: [{ 'params.num_layers': 3 }] };
    const e = expandSweep(s, experiment, { limit: 3 });
    assert.deepEqual([e.trials.length, e.total, e.excluded, e.truncated], [3, 18, 18, true]);
    const quick = expandSweep(s, experiment, { limit: 3, exactTotal: false });
    assert.equal(quick.trials.length, 3);
    assert.ok(quick.total >= 18 && quick.total <= 36);
    assert.ok(quick.truncated);
  });

  it('a huge grid with a limit materialises only the limit', () => {
    const huge = grid(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`params.p${i}`, { range: { min: 0, max: 999, step: 1 } }])));
    const e = expandSweep(huge, experiment, { limit: 10 });
    assert.equal(e.trials.length, 10);
    assert.equal(e.total, 1e15);
    assert.deepEqual(e.trials[9].params, { 'params.p0': 0, 'params.p1': 0, 'params.p2': 0, 'params.p3': 0, 'params.p4': 9 });
  });
});

describe('trialConfig', () => {
  it('sets nested paths on a deep clone, creating objects, and renames', () => {
    const before = structuredClone(experiment);
    const trial: Trial = {
      index: 0, key: 'k', name: 'train-lr', repeat: 0,
      params: { 'params.learning_rate': 0.5, 'params.opt.beta': 0.99, 'kubernetes.labels.team': 'ml', 'command.3': '64', 'resources.gpus': { n: 2 } },
    };
    const c = trialConfig(experiment, trial);
    assert.deepEqual(experiment, before, 'input not mutated');
    assert.equal(c.name, 'train-lr');
    assert.equal(c.params!.learning_rate, 0.5);
    assert.deepEqual(c.params!.opt, { name: 'adam', beta: 0.99 });
    assert.deepEqual(c.kubernetes, { labels: { team: 'ml' } });
    assert.deepEqual(c.command, ['python', 'train.py', '--batch-size', '64']);
    (c.resources!.gpus as unknown as { n: number }).n = 3;
    assert.deepEqual(trial.params['resources.gpus'], { n: 2 }, 'values are cloned too');
    assert.throws(() => trialConfig(experiment, { ...trial, params: { '__proto__.polluted': 1 } }), /not allowed/);
  });
});

describe('scale', () => {
  it('expands a 100k grid with unique keys and names', () => {
    const ten = { values: [...Array(10).keys()].map((i) => i / 1000) };
    const s = grid({ 'params.a': ten, 'params.b': ten, 'params.c': ten, 'params.d': ten, 'params.e': ten },
      { name_template: 'a{params.a}_b{params.b}_c{params.c}_d{params.d}_e{params.e}_bs{params.batch_size}' });
    const e = expandSweep(s, experiment);
    assert.equal(e.total, 100_000);
    assert.equal(e.trials.length, 100_000);
    assert.equal(new Set(e.trials.map((t) => t.key)).size, 100_000);
    assert.equal(new Set(e.trials.map((t) => t.name)).size, 100_000);
    assert.equal(e.trials[99_999].name, 'a0.009_b0.009_c0.009_d0.009_e0.009_bs192');
  });
});

describe('strings', () => {
  it('levenshtein and closest', () => {
    assert.equal(levenshtein('kitten', 'sitting'), 3);
    assert.equal(levenshtein('', 'abc'), 3);
    assert.equal(closest('params.learnin_rate', ['params.batch_size', 'params.learning_rate']), 'params.learning_rate');
    assert.equal(closest('lr', ['bs', 'lrr']), 'lrr');
    assert.equal(closest('lr', ['bs']), undefined);
    assert.equal(closest('Params.LR', ['params.lr']), 'params.lr');
    assert.equal(closest('completely_different', ['params.learning_rate']), undefined);
  });
});
