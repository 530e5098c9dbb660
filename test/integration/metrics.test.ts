// No metric is lost silently — real processes through the bundled CLI (dist/cli.js; `node
// esbuild.mjs` first): Python's NaN and Infinity, nested objects and unreadable lines on stdout and in
// $EXPCTL_METRICS_FILE; counts and the first bad line in run.json, `expctl run`'s end lines and
// `expctl status`; metrics.sources; a primary metric never reported (warning, or with required:
// true a failure); Kafka refused; NaN excluded from stats with its reason.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunRecord } from '../../core/src/store/store';

const CLI = path.resolve('dist/cli.js');
const cli = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const TRAIN = `import json, math, os, sys
mode = sys.argv[1]
def report(d): print("@expctl " + json.dumps(d), flush=True)
def append(*lines):
    with open(os.environ["EXPCTL_METRICS_FILE"], "a") as f:
        for l in lines: f.write(l + "\\n")
if mode == "mixed":
    print("starting")
    report({"step": 0, "loss": 1.0, "eval": {"loss": 2.0, "acc": {"top1": 0.5}}, "hist": [1, math.nan], "note": "NaN here"})
    report({"step": 1, "loss": math.nan})
    print("@expctl {loss: 1}")
    print("@expctl " + str({"loss": 1}))
    append(json.dumps({"val_loss": math.inf}), json.dumps({"val_loss": 0.5, "eval": {"n": 3}}), "", "not json", json.dumps({"val_loss": -math.inf}))
elif mode == "ok":
    report({"val_loss": 0.3})
elif mode == "diverge":
    report({"val_loss": 0.9}); report({"val_loss": math.nan})
elif mode == "nometric":
    report({"loss": 0.1})
elif mode == "both":
    report({"a": 1}); print("@expctl not json")
    append(json.dumps({"b": 2}), "bad")
`;

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-metrics-'));
  fs.writeFileSync(path.join(dir, 'train.py'), TRAIN);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o755 });
  return dir;
}

const runs = (dir: string): RunRecord[] => fs.readdirSync(path.join(dir, '.expctl', 'runs')).filter((id) => !id.startsWith('.'))
  .map((id) => JSON.parse(fs.readFileSync(path.join(dir, '.expctl', 'runs', id, 'run.json'), 'utf8')) as RunRecord);
const runFile = (dir: string, r: RunRecord, name: string) => fs.readFileSync(path.join(dir, '.expctl', 'runs', r.id, name), 'utf8');

test('NaN, Infinity, nested objects and bad lines through stdout and the metrics file: kept, counted, located, shown', () => {
  const dir = workspace({ 'mixed.experiment.yaml': 'name: mixed\ncommand: [python3, train.py, mixed]\nmetrics: { primary: val_loss }\n' });
  const r = cli(dir, 'run', 'mixed.experiment.yaml');
  assert.equal(r.code, 0, r.out + r.err);
  const [run] = runs(dir);
  assert.equal(run.status, 'succeeded');

  // metrics.jsonl stays JSON lines: non-finite numbers as strings, nested objects as dotted names.
  const lines = runFile(dir, run, 'metrics.jsonl').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines, [
    { step: 0, loss: 1, 'eval.loss': 2, 'eval.acc.top1': 0.5, hist: [1, 'NaN'], note: 'NaN here' },
    { step: 1, loss: 'NaN' },
    { val_loss: 'Infinity' },
    { val_loss: 0.5, 'eval.n': 3 },
    { val_loss: '-Infinity' },
  ]);
  assert.match(runFile(dir, run, 'metrics-file.jsonl'), /^\{"val_loss": Infinity\}\n/, 'EXPCTL_METRICS_FILE is the run\'s own file, as the run wrote it');

  // The summary: the last value whatever it was, min/max/mean over the finite ones, non-finite counted.
  assert.deepEqual(run.summary.loss, { last: 'NaN', min: 1, max: 1, mean: 1, count: 2, non_finite: 1 });
  assert.deepEqual(run.summary.val_loss, { last: '-Infinity', min: 0.5, max: 0.5, mean: 0.5, count: 3, non_finite: 2 });
  assert.deepEqual(run.summary['eval.acc.top1'], { last: 0.5, min: 0.5, max: 0.5, mean: 0.5, count: 1 });

  // Two bad stdout lines (4 and 5 of stdout.log) and one in the file (line 4; the blank line 3 is no report).
  assert.equal(run.metrics_bad_lines, 3);
  const stdoutLines = runFile(dir, run, 'stdout.log').split('\n');
  assert.equal(stdoutLines[3], '@expctl {loss: 1}');
  assert.deepEqual(run.metrics_first_bad, {
    source: 'stdout', line: 4, text: '@expctl {loss: 1}',
    error: 'not JSON: expected a property name in double quotes, found "loss" — property names need double quotes (column 10)',
  });
  const sentence = '3 metric lines could not be read; first at stdout line 4: @expctl {loss: 1} — not JSON: expected a property name in double quotes';

  // The end of `expctl run`: the trial's line with the NaN-proof value, its warning, and the summary.
  const trial = run.trial.name;
  assert.ok(new RegExp(`\\[1/1\\] ✓ ${trial}: succeeded in [\\d.]+ s — val_loss -Infinity\n`).test(r.out), r.out);
  assert.ok(r.out.includes(`        ⚠ ${trial}: ${sentence}`), r.out);
  assert.ok(r.out.includes(`1 trial: 1 succeeded, 0 failed, 0 cancelled, 0 skipped in`), r.out);
  assert.ok(r.out.includes(`⚠ 3 metric lines could not be read in 1 run; first at ${run.id} stdout line 4: @expctl {loss: 1} — not JSON: expected`), r.out);

  // expctl status (text and JSON) and runs.csv.
  const st = cli(dir, 'status', '--store', '.expctl');
  assert.ok(st.out.includes(`  ⚠ 3 metric lines could not be read in 1 run; first at ${run.id} stdout line 4: @expctl {loss: 1} — not JSON: expected`), st.out);
  const json = JSON.parse(cli(dir, 'status', '--json', '--store', '.expctl').out).sweeps[0];
  assert.deepEqual(json.metricProblems.badLines, { lines: 3, runs: 1, first: { ...run.metrics_first_bad, run: run.id } });
  const csv = fs.readFileSync(path.join(dir, '.expctl', 'runs.csv'), 'utf8').split('\n');
  const header = csv[0].split(',');
  const row = csv[1].split(',');
  assert.equal(row[header.indexOf('loss.last')], 'NaN');
  assert.equal(row[header.indexOf('val_loss.last')], '-Infinity');
  assert.equal(row[header.indexOf('val_loss.min')], '0.5');
});

test('a sweep: a run without its primary metric warns everywhere; a NaN is never the best, and stats exclude it with the reason', () => {
  const dir = workspace({
    'e.experiment.yaml': 'name: e\ncommand: [python3, train.py, "{params.mode}"]\nparams: { mode: ok }\nmetrics: { primary: val_loss }\n',
    's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.mode: { values: [ok, diverge, nometric] }\nname_template: "{params.mode}"\nmetric: { name: val_loss, goal: maximize }\n',
  });
  const r = cli(dir, 'run', 's.sweep.yaml');
  assert.equal(r.code, 0, r.out + r.err);
  const byName = Object.fromEntries(runs(dir).map((x) => [x.trial.name, x]));
  const warning = 'never reported its primary metric "val_loss" — it reported loss';
  assert.deepEqual(byName.nometric.warnings, [warning]);
  assert.equal(byName.nometric.status, 'succeeded');
  assert.equal(byName.ok.warnings, undefined);
  assert.equal(byName.diverge.summary.val_loss.last, 'NaN');
  assert.ok(r.out.includes(`✓ diverge: succeeded in`) && /✓ diverge: succeeded in [\d.]+ s — val_loss NaN\n/.test(r.out), r.out);
  assert.ok(r.out.includes(`        ⚠ nometric: ${warning}\n`), r.out);
  assert.ok(r.out.includes('⚠ 1 run with warnings (in run.json, `expctl ls --json`)\n'), r.out);

  const st = cli(dir, 'status', '--store', '.expctl').out;
  assert.ok(st.includes(`  ⚠ nometric: ${warning} (${byName.nometric.id})`), st);
  // Maximize: a NaN compared as a number would never win, nor may it — the finite 0.3 is the best.
  assert.ok(st.includes(`best val_loss (maximize): 0.3 — ok (${byName.ok.id})`), st);

  const stats = cli(dir, 'stats', 's.sweep.yaml', '--metric', 'val_loss', '--group-by', 'sweep_id', '--json');
  assert.equal(stats.code, 0, stats.err);
  const [g] = JSON.parse(stats.out).groups;
  assert.deepEqual([g.summary.n, g.summary.excluded, g.reasons], [1, 2, { NaN: 1, missing: 1 }]);
  assert.match(stats.err, /^e-sweep-[0-9a-f]{8}: 2 values of val_loss excluded \(1 NaN, 1 missing\)$/m, "grouped by sweep_id: the group is the sweep");
});

test('metrics.required: a run that exits 0 without its primary metric fails as no_metric, and is not retried', () => {
  const dir = workspace({
    'req.experiment.yaml': 'name: req\ncommand: [python3, train.py, nometric]\nmetrics: { primary: val_loss, required: true }\n'
      + 'retry: { max_retries: 2, backoff_base_s: 2, max_backoff_s: 0.05 }\n',
  });
  const r = cli(dir, 'run', 'req.experiment.yaml');
  assert.equal(r.code, 1, r.out + r.err);
  const [run] = runs(dir);
  assert.equal(run.status, 'failed');
  assert.equal(run.attempts.length, 1);
  const message = 'never reported its primary metric "val_loss" — it reported loss (metrics.required: true)';
  assert.deepEqual([run.attempts[0].exit_code, run.attempts[0].failure_class, run.attempts[0].message], [0, 'no_metric', message]);
  assert.ok(r.out.includes(`✗ ${run.trial.name}: failed (no_metric: ${message})`), r.out);
  assert.match(fs.readFileSync(path.join(dir, '.expctl', 'failed_runs.csv'), 'utf8'), /,no_metric,"never reported its primary metric ""val_loss"" — it reported loss \(metrics\.required: true\)",/);
});

test('metrics.sources: only the named sources are read', () => {
  const dir = workspace({
    'f.experiment.yaml': 'name: f\ncommand: [python3, train.py, both]\nmetrics: { sources: [file] }\n',
    'o.experiment.yaml': 'name: o\ncommand: [python3, train.py, both]\nmetrics: { sources: [stdout] }\n',
    'd.experiment.yaml': 'name: d\ncommand: [python3, train.py, both]\n',
  });
  for (const f of ['f', 'o', 'd']) assert.equal(cli(dir, 'run', `${f}.experiment.yaml`).code, 0);
  const byName = Object.fromEntries(runs(dir).map((x) => [x.experiment, x]));
  const read = (x: RunRecord) => [Object.keys(x.summary).sort(), x.metrics_bad_lines, x.metrics_first_bad?.source];
  assert.deepEqual(read(byName.f), [['b'], 1, 'file'], 'stdout markers are ignored');
  assert.equal(runFile(dir, byName.f, 'metrics.jsonl'), '{"b":2}\n');
  assert.deepEqual(read(byName.o), [['a'], 1, 'stdout'], 'the metrics file is not read');
  assert.deepEqual(read(byName.d), [['a', 'b'], 2, 'stdout'], 'both by default');
});

test('line numbers count every attempt: a retry continues stdout.log, also after an unterminated line', () => {
  const dir = workspace({
    'job.sh': '#!/bin/sh\nif [ "$EXPCTL_ATTEMPT" = 1 ]; then printf \'a\\nb\\nc\'; exit 3; fi\necho "@expctl oops"\necho \'@expctl {"x": 1}\'\n',
    'r.experiment.yaml': 'name: r\ncommand: [./job.sh]\nretry: { max_retries: 1, backoff_base_s: 2, max_backoff_s: 0.05 }\n',
  });
  assert.equal(cli(dir, 'run', 'r.experiment.yaml').code, 0);
  const [run] = runs(dir);
  assert.equal(run.attempts.length, 2);
  assert.equal(runFile(dir, run, 'stdout.log').split('\n')[2], 'c@expctl oops');
  assert.deepEqual([run.metrics_bad_lines, run.metrics_first_bad?.line, run.metrics_first_bad?.text], [1, 3, '@expctl oops']);
});

test('metrics from Kafka without metrics.kafka: `expctl run` refuses before starting anything, for the experiment and for a sweep of it', () => {
  const dir = workspace({
    'k.experiment.yaml': 'name: k\ncommand: [python3, train.py, ok]\nmetrics:\n  sources: [stdout, kafka]\n',
    'k.sweep.yaml': 'experiment: ./k.experiment.yaml\nmethod: grid\nparameters:\n  params.x: { values: [1] }\n',
  });
  const e = cli(dir, 'run', 'k.experiment.yaml');
  assert.equal(e.code, 1);
  assert.match(e.err, /^k\.experiment\.yaml:4:21: error: metrics\.sources lists kafka but metrics\.kafka is missing: add metrics\.kafka: .* or remove "kafka" from metrics\.sources \[metrics-source-kafka\]$/m);
  const s = cli(dir, 'run', 'k.sweep.yaml');
  assert.equal(s.code, 1);
  // A sweep of an experiment with errors cannot run: the sweep says which error, where.
  assert.match(s.err, /^k\.sweep\.yaml:1:13: error: \.\/k\.experiment\.yaml has 1 error; first at 4:21: metrics\.sources lists kafka but metrics\.kafka is missing: .* \[experiment-invalid\]$/m);
  assert.equal(fs.existsSync(path.join(dir, '.expctl', 'runs')), false);
});
