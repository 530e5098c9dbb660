// The bundled CLI (dist/cli.js) as users run it: output formats, exit codes, and clear messages
// without stack traces for user errors.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.resolve('dist/cli.js');
const run = (args: string[], opts: { cwd?: string; shell?: string } = {}) => {
  const r = opts.shell
    ? spawnSync('bash', ['-c', opts.shell], { encoding: 'utf8', cwd: opts.cwd })
    : spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: opts.cwd });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-'));
fs.writeFileSync(path.join(dir, 'train.py'), '');
fs.writeFileSync(path.join(dir, 'ok.experiment.yaml'), 'name: ok\ncommand: [python3, train.py]\nparams: { lr: 0.1, bs: 32 }\nrepeat: 2\n');
fs.writeFileSync(path.join(dir, 'bad.experiment.yaml'), 'name: bad\ncommand: [python3, train.py]\nrepeat: 0\nretry: { max_retries: 1, backoff_base_s: 2, on: [oom] }\nmetrics: { goal: minimise }\n');
fs.writeFileSync(path.join(dir, 's.sweep.yaml'), 'experiment: ./ok.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [0.1, 0.01] }\n  params.bs: { values: [16, "a,b"] }\nname_template: "lr{params.lr}-bs{params.bs}"\n');

test('validate: the examples are clean', () => {
  const r = run(['validate', 'examples']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(r.out, '');
  assert.match(r.err, /^\d+ files checked: 0 errors, 0 warnings\n$/);
});

test('validate: file:line:col: severity: message [rule], sorted, exit 1', () => {
  const r = run(['validate', 'bad.experiment.yaml'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.equal(r.out,
    'bad.experiment.yaml:3:9: error: repeat must be ≥ 1, got 0. [schema]\n' +
    'bad.experiment.yaml:5:18: error: "minimise" is not allowed for metrics.goal. Allowed: minimize, maximize. Did you mean "minimize"? [schema]\n');
  assert.equal(r.err, '1 file checked: 2 errors, 0 warnings\n');
});

test('validate --json: machine-readable, 1-based positions', () => {
  const r = run(['validate', '--json', 'bad.experiment.yaml'], { cwd: dir });
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out);
  assert.equal(j.errors, 2);
  assert.deepEqual(j.diagnostics[0], { file: 'bad.experiment.yaml', line: 3, column: 9, endLine: 3, endColumn: 10, severity: 'error', rule: 'schema', message: 'repeat must be ≥ 1, got 0.' });
});

test('validate: a folder finds our files only', () => {
  const r = run(['validate', dir]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^3 files checked: 2 errors/);
});

test('plan: table, csv (quoted) and json', () => {
  const t = run(['plan', 's.sweep.yaml'], { cwd: dir });
  assert.equal(t.code, 0, t.err);
  assert.equal(t.out.split('\n')[0], 's.sweep.yaml: 4 trials (method grid, max_parallel 1)');
  assert.match(t.out.split('\n')[1], /^#\s+name\s+key\s+params\.lr\s+params\.bs$/);
  const c = run(['plan', '--csv', 's.sweep.yaml'], { cwd: dir });
  assert.equal(c.out.split('\n')[0], 'index,name,key,repeat,params.lr,params.bs');
  assert.match(c.out.split('\n')[2], /^1,"lr0\.1-bsa,b",[0-9a-f]{16},0,0\.1,"a,b"$/);
  const j = JSON.parse(run(['plan', '--json', 's.sweep.yaml'], { cwd: dir }).out);
  assert.equal(j.total, 4);
  assert.deepEqual(j.trials[3].params, { 'params.lr': 0.01, 'params.bs': 'a,b' });
});

test('plan: an experiment plans its repeats; --limit truncates', () => {
  const r = run(['plan', 'ok.experiment.yaml'], { cwd: dir });
  assert.equal(r.out.split('\n')[0], 'ok.experiment.yaml: 2 runs of experiment ok');
  const l = run(['plan', '--limit', '1', 's.sweep.yaml'], { cwd: dir });
  assert.match(l.out, /… 3 more \(use --limit to change\)\n$/);
});

test('plan: a file with errors prints them and exits 1', () => {
  const r = run(['plan', 'bad.experiment.yaml'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot plan, 2 errors/);
});

test('user errors: clear message, no stack trace, exit 2 for usage and 1 for inputs', () => {
  for (const [args, code, msg] of [
    [['frobnicate'], 2, /unknown command "frobnicate"/],
    [['validate'], 2, /validate needs at least one file/],
    [['plan', '--limit', 'x', 's.sweep.yaml'], 2, /--limit must be a positive whole number/],
    [['validate', '--bogus', 'x'], 2, /Unknown option '--bogus'/],
    [['plan', 'missing.sweep.yaml'], 1, /missing\.sweep\.yaml: no such file/],
    [['validate', 'nowhere/'], 1, /nowhere\/: no such file or folder/],
  ] as const) {
    const r = run([...args], { cwd: dir });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, msg);
    assert.doesNotMatch(r.err, /\n\s+at /, 'stack trace printed');
  }
});

test('a closed pipe is not an error', () => {
  const r = run([], { shell: `node ${CLI} plan --csv examples/kafka-loading/formats.sweep.yaml | head -1; echo "rc=\${PIPESTATUS[0]}"` });
  assert.equal(r.out, 'index,name,key,repeat,params.data_format,params.compression\nrc=0\n');
  assert.equal(r.err, '');
});

test('--version and --help', () => {
  assert.match(run(['--version']).out, /^\d+\.\d+\.\d+\n$/);
  const h = run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /expctl validate <file\|folder>/);
});
