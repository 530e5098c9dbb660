// The limits on hostile trial output and impossible launches (issue 17 items 3, 5, 6), where pure:
// lines end at \n, \r\n or a lone \r and are cut at MAX_LINE; metric names are checked; a NUL byte
// or an argument over MAX_ARG_STRLEN is found, named and placed (rule launch-limits).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, MAX_LINE, MAX_METRICS, MetricSummarizer, metricNameProblem, parseJsonRecord, parseStdoutLine } from '../../core/src/runner/metrics';
import { MAX_ARG_BYTES, argProblem, launchProblem } from '../../core/src/util/argv-limits';
import { experimentRules } from '../../core/src/rules/experiment';
import { defaultSettings } from '../../core/src/rules/api';
import type { Report } from '../../core/src/rules/api';

describe('LineSplitter', () => {
  test('\\n, \\r\\n and a lone \\r end a line, also when \\r\\n is split across two chunks', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('a\nb\r\nc\r 10%|#\r 20%|##\r'), ['a', 'b', 'c', ' 10%|#', ' 20%|##']);
    assert.deepEqual(s.push('\n@expctl {"x": 1}\r'), ['@expctl {"x": 1}'], 'the \\n of a split \\r\\n ends nothing more');
    assert.deepEqual(s.push('\r'), [''], 'two \\r in a row are an empty line');
    assert.deepEqual(s.push('tail'), []);
    assert.equal(s.flush(), 'tail');
    assert.equal(s.flush(), undefined);
  });

  test('a line is cut at MAX_LINE characters and the rest dropped, however it arrives; the next line is whole', () => {
    const s = new LineSplitter();
    const chunk = 'x'.repeat(10_000);
    for (let i = 0; i < 100; i++) assert.deepEqual(s.push(chunk), []);
    const [long, next] = s.push('yyy\nnext\n');
    assert.equal(long.length, MAX_LINE);
    assert.equal(next, 'next');
    assert.equal(new LineSplitter().push(`${'z'.repeat(MAX_LINE + 5)}\n`)[0].length, MAX_LINE);
  });
});

describe('metric names', () => {
  test('Object\'s own names are names like any other; empty, empty parts, over-long and control characters are refused', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'eval.loss', 'loss/val', 'x'.repeat(200)]) assert.equal(metricNameProblem(name), undefined, name);
    assert.equal(metricNameProblem(''), 'is empty');
    for (const name of ['a.', '.a', 'a..b']) assert.match(metricNameProblem(name)!, /empty part/);
    assert.match(metricNameProblem('x'.repeat(201))!, /longer than 200 characters/);
    assert.match(metricNameProblem('a\tb')!, /control character/);
    assert.match(metricNameProblem('a\0b')!, /control character/);
  });

  test('a line with a bad name is an error naming it, not a record; the prototype of a record is never touched', () => {
    assert.deepEqual(parseJsonRecord('{"eval": {"": 1}, "loss": 2}'), { error: 'metric name "eval." has an empty part (a key "" or dots next to each other, at its start or end); the line was not recorded' });
    assert.match(parseStdoutLine('@expctl {"a\\nb": 1}')!.error!, /^metric name "a\\nb" contains a control character/);
    const r = parseJsonRecord('{"__proto__": 7, "constructor": {"x": 1}}').record!;
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.deepEqual(Object.keys(r), ['__proto__', 'constructor.x']);
  });

  test(`a run summarises at most ${MAX_METRICS} metrics: a record that would add more is refused, saying why`, () => {
    const s = new MetricSummarizer();
    const many = Object.fromEntries(Array.from({ length: MAX_METRICS }, (_, i) => [`m${i}`, i]));
    assert.equal(s.refuse(many), undefined);
    s.add(many);
    assert.equal(s.refuse({ m0: 1, text: 'not a metric' }), undefined, 'known names and non-numbers add none');
    assert.match(s.refuse({ m0: 1, fresh: 2 })!, /^it would make more than 1000 different metrics in this run \(1000 so far\)/);
  });
});

describe('launch limits', () => {
  test('a NUL byte is placed; the size counts UTF-8 bytes and the terminating NUL', () => {
    assert.equal(argProblem('ok', 'x'), undefined);
    assert.equal(argProblem('ab\0', 'command item 2'), 'command item 2 contains a NUL byte (\\0) at character 3, which no program can receive: remove it');
    assert.equal(argProblem('x'.repeat(MAX_ARG_BYTES - 1), 'x'), undefined);
    assert.match(argProblem('x'.repeat(MAX_ARG_BYTES), 'x')!, /^x is 131073 bytes, over the kernel's limit of 131072 bytes/);
    assert.match(argProblem('é'.repeat(MAX_ARG_BYTES / 2), 'x')!, /is 131073 bytes/, 'two bytes each');
    assert.match(argProblem('😀'.repeat(MAX_ARG_BYTES / 4), 'x')!, /is 131073 bytes/, 'four bytes each (a surrogate pair)');
  });

  test('launchProblem: the first argument, else the first environment entry (NAME=value counts)', () => {
    assert.deepEqual(launchProblem(['a', 'b\0'], { X: '\0' })?.where, { arg: 1 });
    assert.deepEqual(launchProblem(['a'], { OK: '1', UNSET: undefined, BIG: 'v'.repeat(MAX_ARG_BYTES - 4) })?.where, { env: 'BIG' });
    assert.equal(launchProblem(['a'], { OK: '1' }), undefined);
  });

  test('rule launch-limits: command items, a shell command string and env values, each at its path', () => {
    const check = (config: unknown) => {
      const reports: Report[] = [];
      experimentRules.find((r) => r.id === 'launch-limits')!.check({
        kind: 'experiment', file: '/p/e.experiment.yaml', config, settings: defaultSettings,
        host: { readFile: () => undefined, exists: () => false }, report: (r) => reports.push(r),
      });
      return reports.map((r) => ({ path: r.path, severity: r.severity, message: r.message }));
    };
    assert.deepEqual(check({ command: ['python', 'train.py', '--tag', 'a\0'], env: { A: 'ok', B: 'x\0y' } }), [
      { path: ['command', 3], severity: 'error', message: 'command item 4 contains a NUL byte (\\0) at character 2, which no program can receive: remove it' },
      { path: ['env', 'B'], severity: 'error', message: 'env.B contains a NUL byte (\\0) at character 4, which no program can receive: remove it' },
    ]);
    assert.deepEqual(check({ command: `echo ${'x'.repeat(MAX_ARG_BYTES)}`, shell: true }).map((r) => r.path), [['command']]);
    assert.deepEqual(check({ command: ['python', 3, null], env: { N: 1 } }), [], 'types are the schema\'s to report');
  });
});
