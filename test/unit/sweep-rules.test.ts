import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Experiment } from '../../core/src/config/types';
import { defaultSettings, type Report, type RuleContext, type ValidationSettings } from '../../core/src/rules/api';
import { sweepRules } from '../../core/src/sweep/rules';
import { archSweep } from '../helpers/fixtures';

const experiment: Experiment = {
  name: 'train',
  command: ['python', 'train.py'],
  params: { learning_rate: 0.01, hidden_size: 32, num_layers: 1, batch_size: 192 },
  resources: { gpus: 1 },
  env: { NCCL_TIMEOUT: '3600' },
};

const ARCH = archSweep();

/** Runs every sweep rule against `config` and returns the reports. */
function check(config: unknown, opts: { experiment?: Experiment | null; settings?: Partial<ValidationSettings> } = {}): Report[] {
  const reports: Report[] = [];
  const ctx: RuleContext = {
    kind: 'sweep',
    file: '/ws/x.sweep.yaml',
    config,
    settings: { ...defaultSettings, ...opts.settings },
    host: { readFile: () => undefined, exists: () => false },
    experiment: opts.experiment === null ? undefined : opts.experiment ?? experiment,
    report: (r) => reports.push(r),
  };
  for (const rule of sweepRules) {
    assert.deepEqual(rule.kinds, ['sweep']);
    rule.check(ctx);
  }
  return reports;
}

const only = (reports: Report[], rule: string) => reports.filter((r) => r.rule === rule);
const summary = (r: Report) => ({ rule: r.rule, severity: r.severity, path: r.path, target: r.target });

describe('sweep rules', () => {
  it('the ARCHITECTURE.md sweep is clean', () => {
    assert.deepEqual(check(ARCH), []);
  });

  it('never throw, whatever the config', () => {
    const junk: unknown[] = [
      null, 42, 'x', [], {}, { method: 'grid', parameters: 5 }, { method: 'grid', parameters: { a: null } },
      { method: 'random', parameters: { a: { distribution: 'uniform' } } }, { method: 'list', trials: 'x' },
      { method: 'list', trials: [1, null] }, { method: 'grid', exclude: 'x', name_template: 5 },
      { method: 'grid', exclude: [null, { a: 1 }], parameters: { a: { values: 'no' } } },
      { method: 'bogus', parameters: { a: { range: null } } }, { method: 'grid', name_template: '{a', repeat: -1 },
    ];
    for (const c of junk) {
      check(c);
      check(c, { experiment: null });
    }
  });

  describe('sweep-grid-continuous', () => {
    it('reports a continuous distribution in a grid at its distribution', () => {
      const r = only(check({ method: 'grid', parameters: { 'params.learning_rate': { distribution: 'log_uniform', min: 1e-5, max: 1e-1 } } }),
        'sweep-grid-continuous');
      assert.deepEqual(r.map(summary), [{ rule: 'sweep-grid-continuous', severity: 'error', path: ['parameters', 'params.learning_rate', 'distribution'], target: undefined }]);
      assert.match(r[0].message, /log_uniform is continuous and has no grid values; use values or range, or method: random/);
    });
    it('is quiet for random sweeps and for choice in a grid', () => {
      assert.deepEqual(only(check({ method: 'random', parameters: { 'params.learning_rate': { distribution: 'uniform', min: 0, max: 1 } } }), 'sweep-grid-continuous'), []);
      assert.deepEqual(only(check({ method: 'grid', parameters: { 'params.hidden_size': { distribution: 'choice', values: [1, 2] } } }), 'sweep-grid-continuous'), []);
    });
  });

  describe('sweep-range', () => {
    const range = (r: unknown) => only(check({ method: 'grid', parameters: { 'params.learning_rate': { range: r } } }), 'sweep-range');
    it('step ≤ 0, min > max, too many values', () => {
      const step = range({ min: 0, max: 1, step: 0 });
      assert.deepEqual(step.map(summary), [{ rule: 'sweep-range', severity: 'error', path: ['parameters', 'params.learning_rate', 'range', 'step'], target: undefined }]);
      assert.match(step[0].message, /step must be > 0/);
      const minmax = range({ min: 2, max: 1, step: 0.5 });
      assert.deepEqual(minmax[0].path, ['parameters', 'params.learning_rate', 'range', 'min']);
      assert.match(minmax[0].message, /min \(2\) is greater than max \(1\)/);
      const many = range({ min: 0, max: 1, step: 1e-8 });
      assert.deepEqual(many[0].path, ['parameters', 'params.learning_rate', 'range']);
      assert.match(many[0].message, /100,000,001 values \(at most 10,000,000\)/);
    });
    it('is quiet for a valid range, also under method random', () => {
      assert.deepEqual(range({ min: 0.1, max: 0.5, step: 0.1 }), []);
      assert.deepEqual(check({ method: 'random', parameters: { 'params.learning_rate': { range: { min: 0.1, max: 0.5, step: 0.1 } } } }), []);
    });
  });

  describe('sweep-param-spec', () => {
    it('reports probabilities that do not fit, empty values, bad bounds', () => {
      const r = only(check({
        method: 'random', parameters: {
          'params.hidden_size': { distribution: 'choice', values: [1, 2], probabilities: [0.5] },
          'params.num_layers': { values: [] },
          'params.learning_rate': { distribution: 'log_uniform', min: 0, max: 1 },
          'params.batch_size': { distribution: 'normal', mu: 0, sigma: -1, q: 0 },
        },
      }), 'sweep-param-spec');
      assert.deepEqual(r.map((x) => [x.severity, x.path.join('/')]), [
        ['error', 'parameters/params.hidden_size/probabilities'],
        ['error', 'parameters/params.num_layers/values'],
        ['error', 'parameters/params.learning_rate/min'],
        ['error', 'parameters/params.batch_size/q'],
        ['error', 'parameters/params.batch_size/sigma'],
      ]);
      assert.match(r[0].message, /1 probabilities for 2 values/);
      assert.match(r[2].message, /log_uniform needs min > 0/);
      const sum = only(check({ method: 'random', parameters: { 'params.hidden_size': { distribution: 'choice', values: [1, 2], probabilities: [0.5, 0.6] } } }), 'sweep-param-spec');
      assert.match(sum[0].message, /sum to 1.1, not 1/);
    });
  });

  describe('sweep-method-fields', () => {
    it('samples / seed without random, trials without list: warnings on the key', () => {
      const r = only(check({ ...ARCH, samples: 5, seed: 1, trials: [] }), 'sweep-method-fields');
      assert.deepEqual(r.map(summary), [
        { rule: 'sweep-method-fields', severity: 'warning', path: ['samples'], target: 'key' },
        { rule: 'sweep-method-fields', severity: 'warning', path: ['seed'], target: 'key' },
        { rule: 'sweep-method-fields', severity: 'warning', path: ['trials'], target: 'key' },
      ]);
      assert.equal(r[0].message, '`samples` applies only to method: random; this grid sweep ignores it');
      assert.equal(r[2].message, '`trials` applies only to method: list; this grid sweep ignores it');
    });
    it('method list without trials is an error at method; multi-valued constants are errors', () => {
      const r = only(check({ method: 'list', parameters: { 'params.hidden_size': { values: [1, 2] } } }), 'sweep-method-fields');
      assert.deepEqual(r.map(summary), [
        { rule: 'sweep-method-fields', severity: 'error', path: ['parameters', 'params.hidden_size'], target: undefined },
        { rule: 'sweep-method-fields', severity: 'error', path: ['method'], target: undefined },
      ]);
      assert.match(r[1].message, /method list needs a `trials` list/);
    });
    it('is quiet for random with samples and range, and for list with trials', () => {
      assert.deepEqual(check({ method: 'random', samples: 5, seed: 3, parameters: { 'params.learning_rate': { range: { min: 0, max: 1, step: 0.5 } } } }), []);
      assert.deepEqual(check({ method: 'list', parameters: { 'params.batch_size': { value: 8 } }, trials: [{ 'params.learning_rate': 0.1 }] }), []);
    });
  });

  describe('sweep-size', () => {
    const big = { method: 'grid', parameters: { 'params.learning_rate': { range: { min: 1, max: 400, step: 1 } }, 'params.hidden_size': { range: { min: 1, max: 300, step: 1 } } } };
    it('warns above maxTrials on the parameters key, with the breakdown', () => {
      const r = only(check(big), 'sweep-size');
      assert.deepEqual(r.map(summary), [{ rule: 'sweep-size', severity: 'warning', path: ['parameters'], target: 'key' }]);
      assert.equal(r[0].message, 'This sweep expands to 120,000 trials = 400 × 300 (limit 10,000, setting expctl.validation.maxTrials)');
    });
    it('counts a grid\'s exclusions, says "up to" for random ones, points at samples for random and trials for list, honours the setting', () => {
      const ex = only(check({ ...big, exclude: [{ 'params.learning_rate': 1 }] }), 'sweep-size');
      assert.match(ex[0].message, /^This sweep expands to 119,700 trials \(400 × 300, less 300 excluded\) \(limit 10,000/);
      const rndEx = only(check({ method: 'random', samples: 50, exclude: [{ 'params.learning_rate': 1 }] }, { settings: { maxTrials: 10 } }), 'sweep-size');
      assert.match(rndEx[0].message, /^This sweep expands to up to 50 trials before exclusions \(limit 10,/);
      const rnd = only(check({ method: 'random', samples: 50, repeat: 3 }, { settings: { maxTrials: 100 } }), 'sweep-size');
      assert.deepEqual(rnd.map(summary), [{ rule: 'sweep-size', severity: 'warning', path: ['samples'], target: 'value' }]);
      assert.match(rnd[0].message, /150 trials \(limit 100,/);
      const list = only(check({ method: 'list', trials: [{}, {}, {}] }, { settings: { maxTrials: 2 } }), 'sweep-size');
      assert.deepEqual(list.map((x) => [x.path, x.target]), [[['trials'], 'key']]);
    });
    it('is quiet at or below the limit', () => {
      assert.deepEqual(only(check(ARCH, { settings: { maxTrials: 18 } }), 'sweep-size'), []);
    });
  });

  describe('duplicate-trial-name', () => {
    it('reports two trials with the same name, naming the indices and the parameter to add', () => {
      const r = only(check({ ...ARCH, name_template: 'lr{params.learning_rate}_h{params.hidden_size}' }), 'duplicate-trial-name');
      assert.deepEqual(r.map(summary), [{ rule: 'duplicate-trial-name', severity: 'error', path: ['name_template'], target: undefined }]);
      assert.equal(r[0].message, 'Trials 0 and 1 are both named "lr0.0001_h64" (9 collisions in all); add {params.num_layers} to name_template');
    });
    it('hints at identical parameters in a list', () => {
      const r = only(check({ method: 'list', name_template: 'x{params.batch_size}', trials: [{ 'params.learning_rate': 1 }, { 'params.learning_rate': 1 }] }), 'duplicate-trial-name');
      assert.match(r[0].message, /^Trials 0 and 1 are both named "x192"; the two trials have identical parameters/);
    });
    it('is quiet when names are unique, with repeats (suffix -r), and without a template', () => {
      assert.deepEqual(only(check({ ...ARCH, repeat: 3 }), 'duplicate-trial-name'), []);
      const { name_template: _, ...noTemplate } = ARCH;
      assert.deepEqual(only(check({ ...noTemplate, repeat: 2 }), 'duplicate-trial-name'), []);
    });
  });

  describe('template-var', () => {
    it('reports each unknown variable with the known ones, a suggestion and a fix', () => {
      const r = only(check({ ...ARCH, name_template: 'lr{params.learning_rate}_{params.hiden_size}_{nope}_l{params.num_layers}_h{params.hidden_size}' }), 'template-var');
      assert.deepEqual(r.map(summary), [
        { rule: 'template-var', severity: 'error', path: ['name_template'], target: undefined },
        { rule: 'template-var', severity: 'error', path: ['name_template'], target: undefined },
      ]);
      assert.match(r[0].message, /^Unknown variable \{params\.hiden_size\} in name_template; known: \{params\.learning_rate\}, \{params\.hidden_size\}, \{params\.num_layers\}, \{index\}, \{repeat\}, \{experiment\}, \{sweep\}, \{params\.batch_size\}, … \(\d+ in all\)\. Did you mean \{params\.hidden_size\}\?$/);
      assert.deepEqual(r[0].fixes, [{
        title: 'Change to {params.hidden_size}', preferred: true,
        edits: [{ path: ['name_template'], target: 'value', newText: '"lr{params.learning_rate}_{params.hidden_size}_{nope}_l{params.num_layers}_h{params.hidden_size}"' }],
      }]);
      assert.match(r[1].message, /^Unknown variable \{nope\} in name_template; known: /);
      assert.equal(r[1].fixes, undefined);
    });
    it('accepts experiment paths at any depth, specials, and sub-paths of swept objects', () => {
      const t = '{experiment}-{sweep}-{index}-{repeat}-{params.batch_size}-{resources.gpus}-{env.NCCL_TIMEOUT}-{command.1}-{params}-{params.hidden_size.x}-{{x}}';
      assert.deepEqual(only(check({ ...ARCH, name_template: t }), 'template-var'), []);
    });
    it('stays quiet about non-swept names when the experiment is unknown', () => {
      assert.deepEqual(only(check({ ...ARCH, name_template: '{params.whatever}' }, { experiment: null }), 'template-var'), []);
    });
  });

  describe('sweep-param-path', () => {
    it('warns on a path the experiment lacks, on the key, with "did you mean" and a rename fix', () => {
      const r = only(check({ method: 'grid', parameters: { 'params.learnin_rate': { values: [1] } } }), 'sweep-param-path');
      assert.deepEqual(r.map(summary), [{ rule: 'sweep-param-path', severity: 'warning', path: ['parameters', 'params.learnin_rate'], target: 'key' }]);
      assert.equal(r[0].message, 'params.learnin_rate is not set in experiment train, so trials add a new parameter; did you mean params.learning_rate?');
      assert.deepEqual(r[0].fixes, [{ title: 'Change to params.learning_rate', preferred: true,
        edits: [{ path: ['parameters', 'params.learnin_rate'], target: 'key', newText: 'params.learning_rate' }] }]);
    });
    it('flags unknown top-level and section fields; checks list trial keys', () => {
      const r = only(check({ method: 'list', trials: [{ 'resources.gpu': 2, 'parms.x': 1, 'params.brand_new': 1 }] }), 'sweep-param-path');
      assert.deepEqual(r.map((x) => [x.severity, x.path, x.target, x.message]), [
        ['warning', ['trials', 0, 'resources.gpu'], 'key', 'resources.gpu is not a field of resources; did you mean resources.gpus?'],
        ['warning', ['trials', 0, 'parms.x'], 'key', 'parms.x is not an experiment field'],
        ['warning', ['trials', 0, 'params.brand_new'], 'key', 'params.brand_new is not set in experiment train, so trials add a new parameter'],
      ]);
    });
    it('accepts existing paths, schema fields the experiment leaves unset, free-form maps, and needs the experiment', () => {
      const parameters = {
        'params.learning_rate': { values: [1] }, 'resources.gpu_type': { values: ['A100'] }, 'launcher.num_processes': { values: [2] },
        'env.NEW_VAR': { values: ['1'] }, 'kubernetes.labels.team': { value: 'ml' }, 'data.kafka.topic': { value: 't' }, timeout: { value: '1h' },
      };
      assert.deepEqual(only(check({ method: 'grid', parameters }), 'sweep-param-path'), []);
      assert.deepEqual(only(check({ method: 'grid', parameters: { 'params.learnin_rate': { values: [1] } } }, { experiment: null }), 'sweep-param-path'), []);
    });
  });

  describe('exclude-unknown-param', () => {
    it('warns on exclude keys that are not swept, with a suggestion', () => {
      const r = only(check({ ...ARCH, exclude: [{ 'params.hidden_size': 64, 'params.num_layer': 2 }, { 'params.batch_size': 1 }] }), 'exclude-unknown-param');
      assert.deepEqual(r.map(summary), [
        { rule: 'exclude-unknown-param', severity: 'warning', path: ['exclude', 0, 'params.num_layer'], target: 'key' },
        { rule: 'exclude-unknown-param', severity: 'warning', path: ['exclude', 1, 'params.batch_size'], target: 'key' },
      ]);
      assert.equal(r[0].message, 'params.num_layer is not a swept parameter, so this exclude rule never matches; did you mean params.num_layers?');
      assert.deepEqual(r[0].fixes?.[0].edits, [{ path: ['exclude', 0, 'params.num_layer'], target: 'key', newText: 'params.num_layers' }]);
      assert.equal(r[1].message, 'params.batch_size is not a swept parameter, so this exclude rule never matches');
    });
    it('is quiet for swept keys, including list trial keys', () => {
      assert.deepEqual(only(check({ ...ARCH, exclude: [{ 'params.hidden_size': [64, 128], 'params.num_layers': 3 }] }), 'exclude-unknown-param'), []);
      assert.deepEqual(only(check({ method: 'list', trials: [{ 'params.learning_rate': 1 }], exclude: [{ 'params.learning_rate': 1 }] }), 'exclude-unknown-param'), []);
    });
  });
});
