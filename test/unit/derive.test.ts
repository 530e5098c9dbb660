// Derived metrics (issue 12, item 1): the expression language, its errors with spans, the values
// of a run, and rule metrics-derived through the validation pipeline (ranges inside the string).
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { derive, evaluate, ExpressionError, namesOf, parseDerivations, parseExpression, runLookup, deriveIntoRun } from '../../core/src/stats/derive';
import type { RunRecord } from '../../core/src/store/store';
import { validateText } from '../../core/src/validate';
import type { FileHost } from '../../core/src/rules/api';
import { complete } from '../../core/src/lang/completion';
import { memHost } from '../helpers/memfs';

const value = (text: string, vars: Record<string, number> = {}) => evaluate(parseExpression(text), (n) => vars[n]);

describe('expressions', () => {
  test('arithmetic with the usual precedence: ^ right-associative and above unary minus, as in Python', () => {
    const cases: Array<[string, number]> = [
      ['1 + 2 * 3', 7], ['(1 + 2) * 3', 9], ['2 ^ 3 ^ 2', 512], ['-2 ^ 2', -4], ['2 ** -1', 0.5], ['10 / 4 - 1', 1.5],
      ['6 × 7', 42], ['9 ÷ 3 − 1', 2], ['1e3 / .5', 2000], ['--3', 3], ['+4', 4],
      ['max(1, 5, 3) - min(4, 2)', 3], ['abs(-2.5)', 2.5], ['sqrt(16)', 4], ['exp(0)', 1], ['log(8, 2)', 3], ['log10(1000)', 3], ['log2(8)', 3],
    ];
    for (const [text, want] of cases) assert.deepEqual(value(text), { value: want }, text);
    assert.ok(Math.abs((value('log(exp(2))') as { value: number }).value - 2) < 1e-15);
  });

  test('names: identifiers with dots, backticks for any other name', () => {
    assert.deepEqual(value('tokens / (energy_wh * 3600)', { tokens: 7200, energy_wh: 1 }), { value: 2 });
    assert.deepEqual(value('params.batch_size * `train/step-time`', { 'params.batch_size': 4, 'train/step-time': 0.5 }), { value: 2 });
    assert.deepEqual(namesOf(parseExpression('a + log(b.c) * a')).map((n) => [n.name, n.span.start, n.span.end]), [['a', 0, 1], ['b.c', 8, 11], ['a', 15, 16]]);
  });

  test('no value, with the reason: missing input, division by zero, log of a negative, overflow', () => {
    assert.deepEqual(value('a / b', { a: 1, b: 0 }), { value: undefined, reason: 'division by zero' });
    assert.deepEqual(value('a + 1'), { value: undefined, reason: 'no value for a' });
    assert.deepEqual(value('log(x)', { x: -1 }), { value: undefined, reason: 'log of -1' });
    assert.deepEqual(value('sqrt(x)', { x: -4 }), { value: undefined, reason: 'sqrt of -4' });
    assert.deepEqual(value('exp(1000)'), { value: undefined, reason: 'exp(1000) is infinite' });
    assert.deepEqual(value('x * 2', { x: NaN }), { value: undefined, reason: 'x is not a number' });
  });

  test('syntax errors name the place and what was expected', () => {
    const err = (text: string) => {
      try { parseExpression(text); } catch (e) { if (e instanceof ExpressionError) return [e.message, e.span.start, e.span.end]; throw e; }
      return undefined;
    };
    assert.deepEqual(err('tokens / (energy_wh * 3600'), ['expected ")", found the end', 26, 26]);
    assert.deepEqual(err('a +'), ['expected a number, a name or "(", found the end', 3, 3]);
    assert.deepEqual(err('a b'), ['expected an operator, found "b"', 2, 3]);
    assert.deepEqual(err('foo(1)'), ['unknown function foo(); the functions are log, log2, log10, sqrt, exp, abs, min, max', 0, 3]);
    assert.deepEqual(err('sqrt(1, 2)'), ['sqrt() takes 1 argument, got 2', 0, 10]);
    assert.deepEqual(err('a $ b'), ['unexpected "$": an expression has numbers, names, + - * / ^, parentheses and functions (log log2 log10 sqrt exp abs min max)', 2, 3]);
    assert.deepEqual(err('`x'), ['a name in backticks has no closing `', 0, 2]);
    assert.deepEqual(err(' '), ['empty expression: write one such as `tokens / (energy_wh * 3600)`', 0, 1]);
    assert.match(err('('.repeat(5000))![0] as string, /at most 2000/);
    assert.match(err('('.repeat(200) + '1' + ')'.repeat(200))![0] as string, /nested more than 64 levels deep/);
  });

  test('definitions read earlier ones, in order', () => {
    const defs = parseDerivations([['tpj', 'tokens / (energy_wh * 3600)'], ['jpt', '1 / tpj']]);
    const got = derive(defs, (n) => ({ tokens: 3600, energy_wh: 0.5 } as Record<string, number>)[n]);
    assert.deepEqual([...got], [['tpj', { value: 2 }], ['jpt', { value: 0.5 }]]);
    assert.throws(() => parseDerivations([['ok', '1'], ['bad', '1 +']]), /^ExpressionError: bad: expected a number, a name or "\(", found the end \(at column 4 of "1 \+"\)$/);
  });
});

describe('a run\'s values', () => {
  const run = (): RunRecord => ({
    schema_version: 1, id: 'r', sweep_id: 's', experiment: 'e', experiment_file: '/x', trial: { index: 0, key: 'k', name: 'n', repeat: 0 },
    params: { 'params.batch_size': 8 }, effective_params: { 'params.batch_size': 4 }, target: 'local', status: 'succeeded', created: '', attempts: [{ n: 1, started: '' }, { n: 2, started: '' }],
    host: 'h', runner_pid: 1, config_hash: 'c', summary: { tokens: { last: 7200, count: 3 }, energy_wh: { last: 2, count: 1 }, loss: { last: 'NaN', count: 1 } },
    duration_s: 10, telemetry: { samples: 3, energy_wh: 1, gpu_util_mean: 50 },
  }) as unknown as RunRecord;

  test('params as the run ran them, nested params, metrics before facts, facts, attempts', () => {
    const look = runLookup(run(), { model: { layers: 12 }, lr: '0.1' });
    assert.equal(look('params.batch_size'), 4, 'effective params (changed by on_oom) win');
    assert.equal(look('params.model.layers'), 12);
    assert.equal(look('params.lr'), 0.1, 'a numeric string is a number');
    assert.equal(look('energy_wh'), 2, 'the program\'s own energy_wh metric wins over telemetry');
    assert.equal(look('gpu_util_mean'), 50);
    assert.equal(look('duration_s'), 10);
    assert.equal(look('attempts'), 2);
    assert.equal(look('loss'), undefined, 'a non-finite last value has no number');
    assert.equal(look('constructor'), undefined);
    assert.equal(look('params.__proto__'), undefined);
  });

  test('into the run: values as one-report summaries, failures as warnings', () => {
    const r = run();
    deriveIntoRun(r, parseDerivations([['tps', 'tokens / duration_s'], ['per_loss', 'tokens / loss'], ['zero', '1 / (attempts - 2)']]));
    assert.deepEqual(r.summary.tps, { last: 720, min: 720, max: 720, mean: 720, count: 1 });
    assert.equal(r.summary.per_loss, undefined);
    assert.deepEqual(r.warnings, ['derived metric per_loss has no value: no value for loss', 'derived metric zero has no value: division by zero']);
  });
});

describe('rule metrics-derived', () => {
  const files: Record<string, string> = {
    '/w/e.experiment.yaml': 'name: e\ncommand: [python3, t.py]\nparams: { batch_size: 8, model: { layers: 2 } }\n',
    '/w/t.py': '',
  };
  const host: FileHost = { readFile: (p) => files[p], exists: (p) => p in files };
  const check = (file: string, text: string) => validateText(file, text, host).diagnostics.filter((d) => d.rule === 'metrics-derived')
    .map((d) => [d.severity, d.message, d.range.start.line, d.range.start.character, d.range.end.character]);

  test('in an experiment: syntax errors and unknown params underlined inside the expression, facts suggested', () => {
    const text = 'name: e\ncommand: [python3, t.py]\nparams: { batch_size: 8 }\nmetrics:\n  derived:\n' +
      '    tpj: tokens / (energy_wh * 3600\n' +
      '    per_sample: duration_s / params.batchsize\n' +
      '    eff: "tokens / energy_w"\n' +
      '    ok: params.batch_size * gpu_util_mean / tpj\n' +
      '    early: later * 2\n    later: "1"\n';
    assert.deepEqual(check('/w/e.experiment.yaml', text), [
      ['error', 'tpj: expected ")", found the end', 5, 34, 35],
      ['error', 'params.batchsize is not a param of the experiment; did you mean params.batch_size?', 6, 29, 45],
      ['warning', 'energy_w is not a run fact; did you mean energy_wh? (If your program reports a metric named energy_w, ignore this.)', 7, 19, 27],
      ['error', 'later is derived below early: define it above, since derived metrics are computed in order', 9, 11, 16],
    ]);
  });

  test('in a sweep: swept paths and the experiment\'s params are known', () => {
    const text = 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [1, 2] }\n' +
      'metrics:\n  derived: { a: "params.lr * params.model.layers", b: "params.nope" }\n';
    assert.deepEqual(check('/w/s.sweep.yaml', text).map((d) => d.slice(0, 2)), [['error', 'params.nope is not a param of the experiment']]);
  });
});

describe('completion inside an expression', () => {
  const complete_ = (file: string, text: string, files: Record<string, string> = {}) => {
    const offset = text.indexOf('|');
    const clean = text.slice(0, offset) + text.slice(offset + 1);
    const host = memHost({ '/w/t.py': '', ...files, [file]: clean });
    return complete(validateText(file, clean, host), offset, host);
  };
  const EXP = 'name: e\ncommand: [python3, t.py]\nparams: { batch_size: 8 }\nmetrics:\n  primary: tokens\n  derived:\n    tpj: tokens / energy_wh\n';

  test('names for the word being typed: derived above, the primary, params, run facts, functions', () => {
    const items = complete_('/w/e.experiment.yaml', `${EXP}    per: tpj * ener|\n    later: "1"\n`);
    const labels = items.map((i) => i.label);
    assert.deepEqual(labels.slice(0, 3), ['tpj', 'tokens', 'params.batch_size']);
    assert.ok(labels.includes('energy_wh') && labels.includes('log()') && !labels.includes('later') && !labels.includes('per'));
    const e = items.find((i) => i.label === 'energy_wh')!;
    assert.equal(e.replaceStart, `${EXP}    per: tpj * `.length, 'replaces the word typed, not the whole value');
    assert.equal(items.find((i) => i.label === 'sqrt()')!.insertText, 'sqrt($1)');
  });

  test('after a name an operator comes: nothing offered; in a sweep, swept params too', () => {
    assert.deepEqual(complete_('/w/e.experiment.yaml', `${EXP}    per: tpj |\n`), []);
    const sweep = 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [1, 2] }\nmetrics:\n  derived:\n    x: "|"\n';
    const labels = complete_('/w/s.sweep.yaml', sweep, { '/w/e.experiment.yaml': EXP }).map((i) => i.label);
    assert.ok(labels.includes('params.lr') && labels.includes('params.batch_size') && labels.includes('tokens'), labels.join(' '));
  });
});
