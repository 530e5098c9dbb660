// Retry policy: backoff (backoff_initial_s × base^(n-1), capped, jitter), on_failure / on_oom turned
// into the next attempt's config (applyOnFailure), what the editor says about them (rules, hover),
// and MemoryError as oom.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Experiment } from '../../core/src/config/types';
import { backoffSeconds, classify } from '../../core/src/runner/failure';
import type { AttemptOutcome } from '../../core/src/runner/failure';
import { applyOnFailure, policyClass, withChanges } from '../../core/src/runner/retry-policy';
import type { Changes } from '../../core/src/runner/retry-policy';
import { validateText } from '../../core/src/validate';
import { hover } from '../../core/src/lang/hover';
import { memHost } from '../helpers/memfs';

describe('backoff', () => {
  test('initial 2, base 2: 2, 4, 8 s before retries 1, 2, 3 (the LLM runner this replaces)', () => {
    const r = { backoff_initial_s: 2, backoff_base_s: 2 };
    assert.deepEqual([2, 3, 4].map((attempt) => backoffSeconds(r, attempt)), [2, 4, 8]);
  });

  test('defaults keep the waits of before: 1, 2, 4, 8 s, capped at 300', () => {
    assert.deepEqual([2, 3, 4, 5].map((a) => backoffSeconds(undefined, a)), [1, 2, 4, 8]);
    assert.deepEqual([2, 3, 4].map((a) => backoffSeconds({ backoff_base_s: 3 }, a)), [1, 3, 9]);
    assert.equal(backoffSeconds({ max_retries: 20 }, 12), 300);
  });

  test('the cap applies to initial × base^(n-1); jitter is on top of the capped wait', () => {
    const r = { backoff_initial_s: 10, backoff_base_s: 2, max_backoff_s: 30 };
    assert.deepEqual([2, 3, 4, 5].map((a) => backoffSeconds(r, a)), [10, 20, 30, 30]);
    assert.equal(backoffSeconds({ ...r, jitter: true }, 3, () => 0.5), 30);
    assert.equal(backoffSeconds({ ...r, jitter: 0.25 }, 5, () => 1), 37.5);
    assert.equal(backoffSeconds({ ...r, jitter: 0.25 }, 5, () => 0), 30);
    assert.equal(backoffSeconds({ backoff_initial_s: 0 }, 4), 0, 'initial 0 retries at once');
  });
});

const exp = (o: Partial<Experiment>): Experiment => ({ name: 'e', command: ['python', 'train.py'], params: { batch_size: 128, lr: 0.001, compile: true }, ...o });
const changes = (r: ReturnType<typeof applyOnFailure>): Changes => {
  assert.ok(r && !('exhausted' in r), `expected changes, got ${JSON.stringify(r)}`);
  return r;
};

describe('applyOnFailure', () => {
  test('failure classes map to on_failure classes: exit:N is nonzero; spawn errors and cancels have none', () => {
    assert.deepEqual(['oom', 'timeout', 'signal', 'exit:1', 'exit:137', 'spawn_error', 'cancelled'].map((c) => policyClass(c as never)),
      ['oom', 'timeout', 'signal', 'nonzero', 'nonzero', undefined, undefined]);
  });

  test('scale with a minimum: integers stay integers (rounded down), never below min, then exhausted', () => {
    let config = exp({ params: { batch_size: 100, lr: 0.001 }, on_failure: { oom: { scale: { 'params.batch_size': 0.3 }, min: 16 } } });
    const seen: unknown[] = [];
    for (;;) {
      const r = applyOnFailure(config, 'oom');
      if (r && 'exhausted' in r) {
        assert.equal(r.exhausted, 'on_failure.oom: params.batch_size is 16, already at its minimum 16 — nothing left to change, so another attempt would fail the same way');
        break;
      }
      config = changes(r).config;
      seen.push(changes(r).params['params.batch_size']);
    }
    assert.deepEqual(seen, [30, 16], '100 × 0.3 = 30, 30 × 0.3 = 9 → min 16');
    assert.equal(config.params?.lr, 0.001);
  });

  test('min per path; floats scale without rounding; a factor above 1 grows the value', () => {
    const config = exp({
      params: { batch_size: 64, seq_len: 1024, lr: 0.001, accum: 1 },
      on_failure: { oom: { scale: { 'params.batch_size': 0.5, 'params.seq_len': 0.5, 'params.lr': 0.5, 'params.accum': 2 }, min: { 'params.seq_len': 1024 } } },
    });
    const r = changes(applyOnFailure(config, 'oom'));
    assert.deepEqual(r.params, { 'params.batch_size': 32, 'params.lr': 0.0005, 'params.accum': 2 }, 'seq_len is at its minimum');
    assert.deepEqual(r.config.params, { batch_size: 32, seq_len: 1024, lr: 0.0005, accum: 2 });
    assert.deepEqual(config.params, { batch_size: 64, seq_len: 1024, lr: 0.001, accum: 1 }, 'the input is not changed');
  });

  test('set and env: applied once, then found in place; an action without scale never exhausts', () => {
    const config = exp({
      env: { NCCL_DEBUG: 'WARN' },
      on_failure: { timeout: { env: { NCCL_TIMEOUT: '7200', OUT: '{run_dir}/x' }, set: { 'params.compile': false, 'launcher.args': ['--a'] } } },
    });
    const first = changes(applyOnFailure(config, 'timeout'));
    assert.deepEqual(first.params, { 'params.compile': false, 'launcher.args': ['--a'] });
    assert.deepEqual(first.env, { NCCL_TIMEOUT: '7200', OUT: '{run_dir}/x' });
    assert.deepEqual(first.config.env, { NCCL_DEBUG: 'WARN', NCCL_TIMEOUT: '7200', OUT: '{run_dir}/x' }, 'joins env: and is rendered with it');
    assert.deepEqual(first.config.launcher, { args: ['--a'] });
    const second = changes(applyOnFailure(first.config, 'timeout'));
    assert.deepEqual([second.params, second.env], [{}, {}]);
    assert.deepEqual(second.config, first.config);
    // A variable the runner's environment already has with that value is no change.
    assert.deepEqual(changes(applyOnFailure(config, 'timeout', { NCCL_TIMEOUT: '7200' })).env, { OUT: '{run_dir}/x' });
  });

  test('changes accumulate over retries; scale and env together exhaust only when neither can change', () => {
    let config = exp({ params: { batch_size: 64 }, on_failure: { oom: { scale: { 'params.batch_size': 0.5 }, min: 32, env: { PYTORCH_CUDA_ALLOC_CONF: 'expandable_segments:True' } } } });
    const a = changes(applyOnFailure(config, 'oom'));
    assert.deepEqual([a.params, a.env], [{ 'params.batch_size': 32 }, { PYTORCH_CUDA_ALLOC_CONF: 'expandable_segments:True' }]);
    config = a.config;
    assert.match((applyOnFailure(config, 'oom') as { exhausted: string }).exhausted, /^on_failure\.oom: params\.batch_size is 32, already at its minimum 32/);
    // At its minimum from the start, but the env is new: one retry with it.
    const atMin = exp({ params: { batch_size: 32 }, on_failure: { oom: { scale: { 'params.batch_size': 0.5 }, min: 32, env: { X: '1' } } } });
    assert.deepEqual(changes(applyOnFailure(atMin, 'oom')).env, { X: '1' });
  });

  test('classes without an action: no changes (a plain retry)', () => {
    const config = exp({ on_failure: { oom: { scale: { 'params.batch_size': 0.5 } } } });
    assert.equal(applyOnFailure(config, 'timeout'), undefined);
    assert.equal(applyOnFailure(config, 'exit:3'), undefined);
    assert.equal(applyOnFailure(exp({}), 'oom'), undefined);
    const nonzero = exp({ on_failure: { nonzero: { set: { 'params.compile': false } } } });
    assert.deepEqual(changes(applyOnFailure(nonzero, 'exit:3')).params, { 'params.compile': false });
    assert.equal(applyOnFailure(nonzero, 'spawn_error'), undefined);
  });

  test('on_oom still works: on_failure.oom with one scale, stopping at min (as scaleOnOom did)', () => {
    const config = exp({ params: { b: 64 }, on_oom: { param: 'params.b', factor: 0.5, min: 16 } });
    const r = changes(applyOnFailure(config, 'oom'));
    assert.deepEqual(r.params, { 'params.b': 32 });
    assert.equal(changes(applyOnFailure(r.config, 'oom')).params['params.b'], 16);
    assert.deepEqual(applyOnFailure(exp({ params: { b: 16 }, on_oom: { param: 'params.b', factor: 0.5, min: 16 } }), 'oom'),
      { exhausted: 'on_oom: params.b is 16, already at its minimum 16 — nothing left to change, so another attempt would fail the same way' });
    // Without min, an integer is never scaled to 0; factor defaults to 0.5.
    assert.match((applyOnFailure(exp({ params: { b: 1 }, on_oom: { param: 'params.b' } }), 'oom') as { exhausted: string }).exhausted,
      /^on_oom: params\.b cannot be scaled further \(1 × 0\.5\)/);
    assert.equal(applyOnFailure(exp({ params: { b: 64 }, on_oom: { param: 'params.b' } }), 'timeout'), undefined);
    // on_failure.oom wins over on_oom at run time (the rule reports giving both).
    const both = exp({ params: { b: 64 }, on_oom: { param: 'params.b', factor: 0.5 }, on_failure: { oom: { scale: { 'params.b': 0.25 } } } });
    assert.deepEqual(changes(applyOnFailure(both, 'oom')).params, { 'params.b': 16 });
  });

  test('a path that is not a number exhausts with a message naming it', () => {
    const r = applyOnFailure(exp({ on_failure: { oom: { scale: { 'params.nope': 0.5 } } } }), 'oom');
    assert.deepEqual(r, { exhausted: 'on_failure.oom: params.nope is undefined, not a number — nothing left to change, so another attempt would fail the same way' });
  });

  test('withChanges: a run taken up again continues from its last attempt\'s changes', () => {
    const config = exp({ env: { A: '1' } });
    const c = withChanges(config, { 'params.batch_size': 32 }, { NCCL_TIMEOUT: '7200' });
    assert.equal(c.params?.batch_size, 32);
    assert.deepEqual(c.env, { A: '1', NCCL_TIMEOUT: '7200' });
    assert.equal(config.params?.batch_size, 128);
  });
});

describe('MemoryError is oom', () => {
  const out = (stderrTail: string): AttemptOutcome => ({ exitCode: 1, signal: null, timedOut: false, cancelled: false, stderrTail, program: 'python' });
  test('Python MemoryError and its numpy subclass in the traceback', () => {
    assert.deepEqual(classify(out('Traceback (most recent call last):\n  File "t.py", line 3, in <module>\n    x = bytearray(10**12)\nMemoryError')),
      { class: 'oom', message: 'out of memory: MemoryError' });
    assert.equal(classify(out('  ...\nMemoryError: Unable to allocate 8.00 GiB'))?.class, 'oom');
    assert.equal(classify(out('numpy.core._exceptions._ArrayMemoryError: Unable to allocate 74.5 GiB for an array with shape (10000000000,)'))?.class, 'oom');
  });
  test('other errors that mention memory are not', () => {
    assert.deepEqual(classify(out('ValueError: bad MemoryErrorCount')), { class: 'exit:1', message: 'exited with code 1' });
    assert.equal(classify(out('    except MemoryError:\nKeyError: 3'))?.class, 'exit:1');
  });
});

// ---------------------------------------------------------------------------------------------
// The editor: diagnostics with their ranges, and hover.

const D = '/w';
const HEAD = 'name: e\ncommand: [python3, train.py]\nparams: { batch_size: 64, lr: 0.01, compile: true, data: avro }\nretry: { max_retries: 3, on: [oom, timeout] }\n';

function diagnostics(text: string, rule: string) {
  const v = validateText(`${D}/e.experiment.yaml`, text, memHost({ [`${D}/train.py`]: '' }));
  return v.diagnostics.filter((d) => d.rule === rule).map((d) => ({
    severity: d.severity, message: d.message, text: lineAt(text, d.range.start.line).slice(d.range.start.character, d.range.end.character),
    fix: d.fixes?.[0]?.edits[0]?.newText,
  }));
}
const lineAt = (text: string, line: number) => text.split('\n')[line];

describe('rules: on_failure paths (on-oom-param) and backoff_initial_s (retry-backoff)', () => {
  test('a scale path that names nothing: error on the key, did-you-mean and a fix', () => {
    const d = diagnostics(`${HEAD}on_failure:\n  oom: { scale: { params.batchsize: 0.5 }, min: 16 }\n`, 'on-oom-param');
    assert.deepEqual(d, [{
      severity: 'error', text: 'params.batchsize', fix: 'params.batch_size',
      message: 'on_failure.oom.scale "params.batchsize" does not name a value in this experiment; it must be the dotted path of a numeric parameter '
        + 'that the runner scales before a retry after an out-of-memory failure, such as "params.batch_size"; did you mean "params.batch_size"?',
    }]);
  });

  test('a scale path to a value that is not a number', () => {
    const d = diagnostics(`${HEAD}on_failure:\n  timeout:\n    scale: { params.data: 2 }\n`, 'on-oom-param');
    assert.equal(d.length, 1);
    assert.equal(d[0].text, 'params.data');
    assert.equal(d[0].message, 'on_failure.timeout.scale "params.data" is "avro", not a number; the runner multiplies it by 2 before a retry after a timeout, '
      + 'so it must name a numeric parameter; numeric parameters here: params.batch_size, params.lr');
  });

  test('set: the path must exist and keep its type', () => {
    const d = diagnostics(`${HEAD}on_failure:\n  nonzero: { set: { params.compil: false, params.lr: fast, params.compile: false } }\n`, 'on-oom-param');
    assert.deepEqual(d.map((x) => [x.text, x.message]), [
      ['params.compil', 'on_failure.nonzero.set "params.compil" does not name a value in this experiment; set changes an existing value before a retry after a non-zero exit; did you mean "params.compile"?'],
      ['fast', 'on_failure.nonzero.set "params.lr" is "fast", a string, but params.lr is 0.01, a number; a retry would run with a string where the experiment has a number — give a number'],
    ]);
  });

  test('a change to a value fixed for the whole run (GPUs, max_retries, metrics): warning, it would not take effect', () => {
    const d = diagnostics(`${HEAD}resources: { gpus: 4 }\non_failure:\n  oom: { scale: { resources.gpus: 0.5 }, set: { retry.max_retries: 5 } }\n`, 'on-oom-param');
    assert.deepEqual(d.map((x) => [x.severity, x.text]), [['warning', 'resources.gpus'], ['warning', 'retry.max_retries']]);
    assert.match(d[0].message, /changes "resources.gpus", but the run's GPUs are reserved once, when it starts: a retry would record the new value without running with it/);
    assert.match(d[1].message, /the number of attempts is fixed when the run starts/);
    const oom = diagnostics(`${HEAD}resources: { gpus: 4 }\non_oom: { param: resources.gpus }\n`, 'on-oom-param');
    assert.deepEqual(oom.map((x) => [x.severity, x.text]), [['warning', 'resources.gpus']]);
  });

  test('a minimum for a path that is not scaled: warning on the key', () => {
    const d = diagnostics(`${HEAD}on_failure:\n  oom: { scale: { params.batch_size: 0.5 }, min: { params.batch_size: 16, params.lr: 0.001 } }\n`, 'on-oom-param');
    assert.deepEqual(d.map((x) => [x.severity, x.text]), [['warning', 'params.lr']]);
    assert.match(d[0].message, /^on_failure\.oom\.min gives a minimum for "params\.lr", which on_failure\.oom\.scale does not scale, so it has no effect/);
  });

  test('on_oom and on_failure.oom together: an error on on_failure.oom', () => {
    const d = diagnostics(`${HEAD}on_oom: { param: params.batch_size }\non_failure:\n  oom: { scale: { params.batch_size: 0.5 } }\n  timeout: { env: { NCCL_TIMEOUT: "7200" } }\n`, 'on-oom-param');
    assert.deepEqual(d.map((x) => [x.severity, x.text]), [['error', 'oom']]);
    assert.match(d[0].message, /^on_oom and on_failure\.oom both say what to change after an out-of-memory failure; keep one/);
    assert.deepEqual(diagnostics(`${HEAD}on_oom: { param: params.batch_size }\non_failure:\n  timeout: { env: { NCCL_TIMEOUT: "7200" } }\n`, 'on-oom-param'), []);
  });

  test('a valid policy has no diagnostics at all', () => {
    const text = `${HEAD}on_failure:\n  oom: { scale: { params.batch_size: 0.5, params.lr: 0.5 }, min: { params.batch_size: 16 }, env: { X: "{run_dir}" } }\n`
      + '  timeout: { env: { NCCL_TIMEOUT: "7200" }, set: { params.compile: false } }\n';
    const v = validateText(`${D}/e.experiment.yaml`, text, memHost({ [`${D}/train.py`]: '' }));
    assert.deepEqual(v.diagnostics, []);
  });

  test('on_failure env values are checked for placeholders like env:', () => {
    const d = diagnostics(`${HEAD}on_failure:\n  timeout: { env: { OUT: "{run_dri}/x" } }\n`, 'template-var');
    assert.equal(d.length, 1);
    assert.match(d[0].message, /^Unknown template variable \{run_dri\} in on_failure\.timeout\.env\.OUT; did you mean \{run_dir\}\?/);
  });

  test('schema: classes, factors and env values', () => {
    const errors = (text: string) => diagnostics(`${HEAD}${text}`, 'schema').map((x) => x.message);
    assert.equal(errors('on_failure: { nonzero: {} }\n').length, 1);
    assert.match(errors('on_failure: { exit: { set: { params.lr: 1 } } }\n')[0], /exit/);
    assert.equal(errors('on_failure: { oom: { scale: { params.batch_size: 0 } } }\n').length, 1);
    assert.equal(errors('on_failure: { timeout: { env: { NCCL_TIMEOUT: 7200 } } }\n').length, 1);
    assert.equal(errors('retry: { max_retries: 1, backoff_initial_s: -1 }\n').length, 1);
  });

  test('retry-backoff: the last wait is backoff_initial_s × base^(max_retries-1)', () => {
    const info = (retry: string) => diagnostics(`name: e\ncommand: [python3, train.py]\nretry: ${retry}\n`, 'retry-backoff');
    const d = info('{ max_retries: 4, backoff_initial_s: 60 }');
    assert.deepEqual(d.map((x) => [x.severity, x.text]), [['information', '60']]);
    assert.match(d[0].message, /= 60 × 2\^3 = 480 s before the last retry, above max_backoff_s 300 \(the default\)/);
    assert.deepEqual(info('{ max_retries: 3, backoff_initial_s: 2, backoff_base_s: 2 }'), [], '2, 4, 8 s');
    assert.deepEqual(info('{ max_retries: 8, backoff_base_s: 2 }'), [], '1 … 128 s');
  });

  test('hover shows the new fields\' docs', () => {
    const text = `${HEAD.replace('max_retries: 3,', 'max_retries: 3, backoff_initial_s: 2,')}on_failure:\n  oom: { scale: { params.batch_size: 0.5 }, min: 16 }\n`;
    const v = validateText(`${D}/e.experiment.yaml`, text, memHost({ [`${D}/train.py`]: '' }));
    const at = (s: string, from = 0) => hover(v, text.indexOf(s, from) + 2)!.markdown;
    assert.match(at('on_failure'), /^\*\*on_failure\*\*/);
    assert.match(at('on_failure'), /What to change before a \*\*retry\*\*, per failure class/);
    assert.match(at('oom:', text.indexOf('on_failure')), /out-of-memory/);
    assert.match(at('scale'), /the factor it is multiplied by before each retry/);
    assert.match(at('backoff_initial_s'), /Seconds to wait before the \*\*first\*\* retry/);
    assert.match(at('backoff_initial_s'), /Default: `1`/);
  });
});
