// The validation pipeline end to end in core: YAML syntax, schema choice, extends, ajv error
// mapping (messages, ranges, fixes), and robustness against hostile input.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { validateText } from '../../core/src/validate';
import type { Diagnostic } from '../../core/src/diagnostic';
import { memHost } from '../helpers/memfs';

const D = '/w';
const EXP = `name: demo
command: [python3, train.py]
params: { batch_size: 64 }
`;

function check(file: string, text: string, files: Record<string, string> = {}) {
  const host = memHost({ [`${D}/train.py`]: '', ...files, [file]: text });
  return validateText(file, text, host);
}

/** [line, startChar, endLine, endChar] 0-based, for compact range assertions. */
const rng = (d: Diagnostic) => [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character];
const only = (ds: Diagnostic[], rule?: string) => ds.filter((d) => !rule || d.rule === rule);

test('a valid experiment has no diagnostics', () => {
  assert.deepEqual(check(`${D}/a.experiment.yaml`, EXP).diagnostics, []);
});

test('YAML syntax errors are reported with their range and the yaml code', () => {
  const v = check(`${D}/a.experiment.yaml`, 'name: x\ncommand: [a, b\nparams: {}\n');
  const errs = only(v.diagnostics, 'yaml-syntax');
  assert.ok(errs.length >= 1);
  assert.equal(errs[0].severity, 'error');
  assert.match(errs[0].message, /\(([A-Z_]+)\)$/);
});

test('duplicate keys are syntax errors at the second key', () => {
  const v = check(`${D}/a.experiment.yaml`, `${EXP}name: again\n`);
  const d = only(v.diagnostics, 'yaml-syntax')[0];
  assert.match(d.message, /Map keys must be unique \(DUPLICATE_KEY\)/);
  assert.equal(d.range.start.line, 3);
});

test('unknown key: message, exact key range, did-you-mean fix', () => {
  const text = `${EXP}resources: { gpus: 2, memmory: 32Gi }\n`;
  const [d] = check(`${D}/a.experiment.yaml`, text).diagnostics;
  assert.equal(d.rule, 'schema');
  assert.equal(d.severity, 'error');
  assert.equal(d.message, 'Unknown property "memmory" in resources. Did you mean "memory"?');
  assert.deepEqual(rng(d), [3, 22, 3, 29]);
  assert.deepEqual(d.fixes?.[0].edits, [{ range: d.range, newText: 'memory' }]);
  assert.equal(d.fixes?.[0].preferred, true);
});

test('enum: lists the allowed values and offers the closest', () => {
  const text = `${EXP}metrics: { primary: loss, goal: minimise }\n`;
  const [d] = check(`${D}/a.experiment.yaml`, text).diagnostics;
  assert.equal(d.message, '"minimise" is not allowed for metrics.goal. Allowed: minimize, maximize. Did you mean "minimize"?');
  assert.deepEqual(rng(d), [3, 32, 3, 40]);
  assert.equal(d.fixes?.[0].edits[0].newText, 'minimize');
});

test('missing required key: reported at the first line with an insert fix', () => {
  const text = 'name: demo\nparams: { a: 1 }\n';
  const ds = check(`${D}/a.experiment.yaml`, text).diagnostics;
  const d = ds.find((x) => x.message.startsWith('Missing required property "command"'))!;
  assert.ok(d, JSON.stringify(ds));
  assert.deepEqual(rng(d), [0, 0, 0, 10]);
  const edit = d.fixes![0].edits[0];
  assert.match(edit.newText, /^\ncommand: /);
  assert.deepEqual(edit.range.start, { line: 1, character: 16 });
});

test('oneOf: only the closest branch is reported, and named', () => {
  const text = `${EXP}launcher: { type: accelerate, num_processes: 2, nproc_per_node: 2 }\nresources: { gpus: 2 }\n`;
  const ds = only(check(`${D}/a.experiment.yaml`, text).diagnostics, 'schema');
  assert.equal(ds.length, 1, JSON.stringify(ds.map((x) => x.message)));
  assert.match(ds[0].message, /^Unknown property "nproc_per_node" in launcher\. Allowed: type, num_processes, /);
});

test('anyOf of enum and integer: one message, not one per branch', () => {
  const text = `${EXP}retry: { max_retries: 1, on: [oom, crash] }\n`;
  const ds = only(check(`${D}/a.experiment.yaml`, text).diagnostics, 'schema');
  assert.equal(ds.length, 1, JSON.stringify(ds.map((x) => x.message)));
  assert.match(ds[0].message, /^"crash" is not allowed for retry\.on\[1\]\. Allowed: oom, timeout, nonzero, signal, evicted\./);
});

test('a semantic rule on the same value replaces the generic schema message', () => {
  const text = `${EXP}timeout: 2 hours\n`;
  const ds = check(`${D}/a.experiment.yaml`, text).diagnostics;
  assert.deepEqual(ds.map((d) => d.rule), ['timeout']);
});

test('extends: deep merge, base values count, child overrides', () => {
  const base = 'command: [python3, train.py]\nparams: { batch_size: 32, lr: 0.1 }\nretry: { max_retries: 2 }\n';
  const text = 'name: child\nextends: ./base.experiment.yaml\nparams: { batch_size: 64 }\n';
  const v = check(`${D}/child.experiment.yaml`, text, { [`${D}/base.experiment.yaml`]: base });
  assert.deepEqual(v.diagnostics, []);
  assert.deepEqual(v.docs[0].config, { command: ['python3', 'train.py'], params: { batch_size: 64, lr: 0.1 }, retry: { max_retries: 2 }, name: 'child' });
});

test('extends: null removes an inherited key', () => {
  const base = 'command: [python3, train.py]\ntimeout: 1h\n';
  const v = check(`${D}/c.experiment.yaml`, 'name: c\nextends: ./base.experiment.yaml\ntimeout: null\n', { [`${D}/base.experiment.yaml`]: base });
  assert.equal((v.docs[0].config as Record<string, unknown>).timeout, undefined);
});

test('extends: an error in an inherited value points at the extends entry and names the base line', () => {
  const base = 'command: [python3, train.py]\nmetrics: { goal: up }\n';
  const text = 'name: child\nextends: ./base.experiment.yaml\n';
  const [d] = check(`${D}/child.experiment.yaml`, text, { [`${D}/base.experiment.yaml`]: base }).diagnostics;
  assert.match(d.message, /"up" is not allowed for metrics\.goal\..*\(inherited from base\.experiment\.yaml:2\)$/);
  assert.deepEqual(rng(d), [1, 9, 1, 31]);
});

test('extends: cycles are reported with the chain', () => {
  const a = 'name: a\ncommand: [x]\nextends: ./b.experiment.yaml\n';
  const b = 'extends: ./a.experiment.yaml\n';
  const ds = check(`${D}/a.experiment.yaml`, a, { [`${D}/b.experiment.yaml`]: b }).diagnostics;
  const d = ds.find((x) => x.rule === 'extends-cycle')!;
  assert.equal(d.message, 'In ./b.experiment.yaml: extends forms a cycle: a.experiment.yaml → b.experiment.yaml → a.experiment.yaml. Remove one of these extends.');
  assert.deepEqual(rng(d), [2, 9, 2, 28]);
});

test('extends: a missing base is an error at its entry in a list', () => {
  const text = 'name: a\ncommand: [python3, train.py]\nextends: [./x.experiment.yaml, ./gone.experiment.yaml]\n';
  const ds = check(`${D}/a.experiment.yaml`, text, { [`${D}/x.experiment.yaml`]: 'params: {}\n' }).diagnostics;
  assert.equal(ds.length, 1);
  assert.equal(ds[0].rule, 'file-exists');
  assert.equal(ds[0].message, `Base file "./gone.experiment.yaml" not found (looked for ${D}/gone.experiment.yaml).`);
  assert.deepEqual(rng(ds[0]), [2, 31, 2, 53]);
});

test('a base file (base.*, _*) does not need the required keys', () => {
  const v = check(`${D}/base.experiment.yaml`, 'params: { lr: 0.1 }\non_oom: { param: params.batch_size }\n');
  assert.deepEqual(v.diagnostics, []);
});

test('schema choice: modeline with a relative custom schema', () => {
  const schema = JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { port: { type: 'integer' } }, additionalProperties: false });
  const text = '# yaml-language-server: $schema=./svc.schema.json\nport: eighty\n';
  const [d] = check(`${D}/service.yaml`, text, { [`${D}/svc.schema.json`]: schema }).diagnostics;
  assert.equal(d.message, 'port must be an integer, not string "eighty".');
  assert.deepEqual(rng(d), [1, 6, 1, 12]);
});

test('schema choice: a draft-07 schema via a top-level $schema key', () => {
  const schema = JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', required: ['id'] });
  const [d] = check(`${D}/x.yaml`, '$schema: ./s.json\nother: 1\n', { [`${D}/s.json`]: schema }).diagnostics;
  assert.equal(d.message, 'Missing required property "id".');
});

test('schema choice: our schema by modeline on any file name', () => {
  const text = '# yaml-language-server: $schema=https://expctl.dev/schemas/sweep.schema.json\nmethod: grd\n';
  const v = check(`${D}/whatever.yaml`, text);
  assert.equal(v.docs[0].kind, 'sweep');
  assert.ok(v.diagnostics.some((d) => d.message.startsWith('"grd" is not allowed for method.')));
});

test('schema choice: a remote schema is not fetched, and says so', () => {
  const [d] = check(`${D}/x.yaml`, '$schema: https://example.com/s.json\na: 1\n').diagnostics;
  assert.equal(d.severity, 'information');
  assert.equal(d.rule, 'schema-ref');
});

test('schema choice: a missing custom schema is an error at $schema', () => {
  const [d] = check(`${D}/x.yaml`, '$schema: ./nope.json\n').diagnostics;
  assert.equal(d.message, `Schema file ${D}/nope.json not found.`);
  assert.deepEqual(rng(d), [0, 9, 0, 20]);
});

test('files that are none of ours get syntax checks only', () => {
  assert.deepEqual(check(`${D}/values.yaml`, 'a: [1, 2\n').diagnostics.map((d) => d.rule), ['yaml-syntax']);
  assert.deepEqual(check(`${D}/values.yaml`, 'anything: goes\n').diagnostics, []);
});

test('multi-document files: each document is checked on its own', () => {
  const text = `${EXP}---\nname: second\ncommand: [python3, train.py]\nrepeat: 0\n`;
  const ds = check(`${D}/multi.experiment.yaml`, text).diagnostics;
  assert.equal(ds.length, 1);
  assert.equal(ds[0].message, 'repeat must be ≥ 1, got 0.');
  assert.equal(ds[0].range.start.line, 6);
});

test('sweep: experiment loaded through its path; missing experiment is an error', () => {
  const ok = check(`${D}/s.sweep.yaml`, 'experiment: ./a.experiment.yaml\nmethod: grid\nparameters:\n  params.batch_size: { values: [1, 2] }\n', { [`${D}/a.experiment.yaml`]: EXP });
  assert.deepEqual(ok.diagnostics, []);
  assert.equal(ok.docs[0].experiment?.name, 'demo');
  const [d] = check(`${D}/s.sweep.yaml`, 'experiment: ./gone.experiment.yaml\nmethod: grid\n').diagnostics;
  assert.equal(d.rule, 'file-exists');
  assert.deepEqual(rng(d), [0, 12, 0, 34]);
});

test('sweep: errors in its experiment are summarised at the experiment key', () => {
  const [d] = check(`${D}/s.sweep.yaml`, 'experiment: ./a.experiment.yaml\nmethod: grid\n', { [`${D}/a.experiment.yaml`]: 'name: a\ncommand: [python3, train.py]\nrepeat: -1\n' }).diagnostics;
  assert.equal(d.rule, 'experiment-invalid');
  assert.equal(d.severity, 'warning');
  assert.equal(d.message, './a.experiment.yaml has 1 error; first at 3:9: repeat must be ≥ 1, got -1.');
});

test('targets: the nearest targets.yaml above the file is found', () => {
  const targets = 'targets:\n  gpu-box: { type: local, max_parallel: 2 }\n';
  const text = `${EXP}target: gpu-bx\n`;
  const ds = check(`${D}/sub/a.experiment.yaml`, text, { [`${D}/targets.yaml`]: targets, [`${D}/sub/train.py`]: '' }).diagnostics;
  assert.equal(ds.length, 1);
  assert.equal(ds[0].rule, 'unknown-target');
});

test('hostile input: alias bomb, deep nesting, huge file, binary junk never throw', () => {
  const bomb = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) bomb.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
  const b = check(`${D}/bomb.experiment.yaml`, bomb.join('\n'));
  assert.ok(b.diagnostics.some((d) => /alias/i.test(d.message)), JSON.stringify(b.diagnostics.map((d) => d.message)));
  const deep = check(`${D}/deep.experiment.yaml`, `${'['.repeat(10000)}${']'.repeat(10000)}`);
  assert.ok(deep.diagnostics.length >= 1);
  const big = check(`${D}/big.experiment.yaml`, `params:\n${'  k: 1\n'.repeat(1_500_000)}`);
  assert.equal(big.diagnostics[0].rule, 'file-too-large');
  const junk = check(`${D}/junk.experiment.yaml`, '\u0000\u0001\uffff: : : - [ { ] }\t\t&&&**');
  assert.ok(junk.diagnostics.length >= 1);
});

test('an empty enum value gets one message listing what is allowed, not one per failed keyword', () => {
  const v = check(`${D}/e.experiment.yaml`, 'name: e\ncommand: [sh, -c, "true"]\nlauncher:\n  type:\nmetrics:\n  goal:\n');
  assert.deepEqual(v.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.range.start.line, d.message]), [
    [3, 'launcher.type has no value. Allowed: none, accelerate, torchrun.'],
    [5, 'metrics.goal has no value. Allowed: minimize, maximize.'],
  ]);
});
