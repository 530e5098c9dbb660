// Results inline in the YAML (core/src/lang/results.ts): which runs a file's results are, the
// inlay hints beside swept values (median, n, the best starred) and beside an experiment's name,
// and the hovers that list the runs behind a value, a list trial or a name.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { validateText } from '../../core/src/validate';
import { commandLink, HOVER_ROWS, resultHints, resultHover, resultsTarget } from '../../core/src/lang/results';
import type { ResultsOptions } from '../../core/src/lang/results';
import { sweepIdOf, sweptKeysOf } from '../../core/src/runner/resume';
import { trialKey } from '../../core/src/sweep';
import type { RunRecord, RunStatus } from '../../core/src/store/store';
import type { Sweep } from '../../core/src/config/types';
import { memHost } from '../helpers/memfs';

const D = '/w';
const EXP = 'name: train\ncommand: [python3, train.py]\nparams: { lr: 0.1, bs: 32 }\nmetrics: { primary: loss, goal: minimize }\n';
const SWEEP = [
  'experiment: ./train.experiment.yaml',
  'method: grid',
  'parameters:',
  '  params.lr:',
  '    values:',
  '      - 0.1',
  '      - 0.01',
  '      - 0.001',
  '  params.bs: { values: [32, 64] }',
  '',
].join('\n');
const NOW = Date.parse('2026-12-03T06:00:00Z');
const opts: ResultsOptions = { now: NOW, commandLinks: true };

function validation(file: string, text: string, extra: Record<string, string> = {}) {
  const host = memHost({ [`${D}/train.py`]: '', [`${D}/train.experiment.yaml`]: EXP, ...extra, [file]: text });
  return validateText(file, text, host);
}

let seq = 0;
/** A run record as the runner writes it, for the trial with these params. */
function run(sweepId: string, params: Record<string, unknown>, status: RunStatus, loss?: number, o: { repeat?: number; exit?: number; created?: string; ended?: string; duration?: number } = {}): RunRecord {
  const key = trialKey(params, o.repeat ?? 0);
  const created = o.created ?? new Date(NOW - 3_600_000 + seq * 1000).toISOString();
  return {
    schema_version: 1, id: `t${++seq}-${key.slice(0, 8)}`, sweep_id: sweepId, experiment: 'train', experiment_file: `${D}/train.experiment.yaml`,
    trial: { index: seq, key, name: `lr${String(params['params.lr'])}_bs${String(params['params.bs'])}`, repeat: o.repeat ?? 0 },
    params, target: 'local', status, created, started: created, host: 'h', summary: loss === undefined ? {} : { loss: { last: loss, count: 1 } },
    attempts: [{ n: 1, started: created, ...(status === 'failed' ? { exit_code: o.exit ?? 3, failure_class: 'nonzero' } : {}) }],
    ...(status !== 'running' && status !== 'queued' ? { ended: o.ended ?? created, duration_s: o.duration ?? 12 } : {}),
  };
}

const sweepFile = `${D}/lr.sweep.yaml`;
const sweepId = () => sweepIdOf('sweep', {}, 'train', sweptKeysOf({ parameters: { 'params.lr': { values: [] }, 'params.bs': { values: [] } } } as unknown as Sweep));

test('a sweep file: its runs are under the id the runner gives it, ranked by the experiment\'s metrics.primary', () => {
  const t = resultsTarget(validation(sweepFile, SWEEP))!;
  assert.equal(t.kind, 'sweep');
  assert.equal(t.sweepIds[0], sweepId());
  assert.equal(t.sweepIds.length, 2, 'and the id older versions used');
  assert.deepEqual(t.metric, { name: 'loss', goal: 'minimize' });
  // The sweep's own metric wins, as in the runner.
  const own = resultsTarget(validation(sweepFile, `${SWEEP}metric: { name: acc, goal: maximize }\n`))!;
  assert.deepEqual(own.metric, { name: 'acc', goal: 'maximize' });
  assert.equal(resultsTarget(validation(`${D}/targets.yaml`, 'targets: {}\n')), undefined);
});

test('hints: median and n beside each swept value, the best of each parameter starred, failures and running counted', () => {
  const v = validation(sweepFile, SWEEP);
  const id = sweepId();
  const runs = [
    run(id, { 'params.lr': 0.1, 'params.bs': 32 }, 'succeeded', 0.5),
    run(id, { 'params.lr': 0.1, 'params.bs': 64 }, 'succeeded', 0.7),
    run(id, { 'params.lr': 0.01, 'params.bs': 32 }, 'succeeded', 0.3),
    run(id, { 'params.lr': 0.01, 'params.bs': 64 }, 'failed'),
    run(id, { 'params.lr': 0.001, 'params.bs': 32 }, 'running'),
  ];
  const hints = resultHints(v, resultsTarget(v)!, runs, opts);
  const byLine = new Map(hints.map((h) => [`${h.position.line}:${h.position.character}`, h.label]));
  // `      - 0.1` is line 5; the hint sits right after the value.
  assert.equal(byLine.get('5:11'), '▸ 0.6 (n=2)');
  assert.equal(byLine.get('6:12'), '▸ 0.3 (n=1, 1 failed) ★');
  assert.equal(byLine.get('7:13'), '▸ — (1 running)');
  // Flow list: `  params.bs: { values: [32, 64] }` — after 32 and after 64.
  assert.equal(byLine.get('8:26'), '▸ 0.4 (n=2, 1 running) ★');
  assert.equal(byLine.get('8:30'), '▸ 0.7 (n=1, 1 failed)');
  assert.equal(hints.length, 5);
  const tip = hints.find((h) => h.label.startsWith('▸ 0.6'))!.tooltip;
  assert.match(tip, /^params\.lr = 0\.1: loss \(minimize\)\nmedian 0\.6 of 2 trials that succeeded \(min 0\.5, max 0\.7\)/);
});

test('hints: the newest run of a trial speaks for it; trials of values no longer in the file do not count', () => {
  const v = validation(sweepFile, SWEEP);
  const id = sweepId();
  const runs = [
    run(id, { 'params.lr': 0.1, 'params.bs': 32 }, 'failed', undefined, { created: '2026-12-03T01:00:00Z' }),
    run(id, { 'params.lr': 0.1, 'params.bs': 32 }, 'succeeded', 0.25, { created: '2026-12-03T02:00:00Z' }),
    run(id, { 'params.lr': 0.5, 'params.bs': 32 }, 'succeeded', 0.01),
    run('another-sweep', { 'params.lr': 0.1, 'params.bs': 32 }, 'succeeded', 9),
  ];
  const labels = resultHints(v, resultsTarget(v)!, runs.filter((r) => resultsTarget(v)!.sweepIds.includes(r.sweep_id)), opts).map((h) => h.label);
  assert.deepEqual(labels, ['▸ 0.25 (n=1)', '▸ 0.25 (n=1)'], 'one lone result is not starred; lr 0.5 is gone from the file');
  const h = resultHover(v, SWEEP.indexOf('0.1'), resultsTarget(v)!, runs.slice(0, 3), opts)!;
  assert.match(h.markdown, /1 trial of this sweep with values no longer in the file is not counted/);
});

test('hints: maximize stars the largest median; without a metric one hint says there is nothing to rank', () => {
  const text = `${SWEEP}metric: { name: acc, goal: maximize }\n`;
  const v = validation(sweepFile, text);
  const id = sweepId();
  const acc = (r: RunRecord, x: number) => ({ ...r, summary: { acc: { last: x, count: 1 } } });
  const runs = [acc(run(id, { 'params.lr': 0.1, 'params.bs': 32 }, 'succeeded'), 0.9), acc(run(id, { 'params.lr': 0.01, 'params.bs': 32 }, 'succeeded'), 0.8)];
  const labels = resultHints(v, resultsTarget(v)!, runs, opts).map((h) => h.label);
  assert.deepEqual(labels, ['▸ 0.9 (n=1) ★', '▸ 0.8 (n=1)', '▸ 0.85 (n=2)']);

  const bare = validation(`${D}/b.sweep.yaml`, SWEEP, { [`${D}/train.experiment.yaml`]: 'name: train\ncommand: [python3, train.py]\nparams: { lr: 0.1, bs: 32 }\n' });
  const t = resultsTarget(bare)!;
  assert.equal(t.metric, undefined);
  const hints = resultHints(bare, t, [run(t.sweepIds[0], { 'params.lr': 0.1, 'params.bs': 32 }, 'succeeded')], opts);
  assert.deepEqual(hints.map((h) => [h.position.line, h.label]), [[2, '▸ 1 trial ran — no metric to show']]);
  assert.match(hints[0].tooltip, /metrics: \{ primary, goal \}/);
});

test('hints: a list sweep gets one per trial entry, a range parameter the best trial\'s value', () => {
  const list = 'experiment: ./train.experiment.yaml\nmethod: list\ntrials:\n  - { params.lr: 0.1, params.bs: 32 }\n  - params.lr: 0.01\n    params.bs: 64\n';
  const v = validation(`${D}/l.sweep.yaml`, list);
  const t = resultsTarget(v)!;
  const runs = [run(t.sweepIds[0], { 'params.lr': 0.1, 'params.bs': 32 }, 'succeeded', 0.4), run(t.sweepIds[0], { 'params.lr': 0.01, 'params.bs': 64 }, 'succeeded', 0.2)];
  const hints = resultHints(v, t, runs, opts);
  assert.deepEqual(hints.map((h) => [h.position.line, h.position.character, h.label]), [[3, 37, '▸ 0.4 (n=1)'], [4, 19, '▸ 0.2 (n=1) ★']]);
  const hover = resultHover(v, list.indexOf('params.bs: 64'), t, runs, opts)!;
  assert.match(hover.markdown, /^\*\*Results of trial 2\*\*/);
  assert.match(hover.markdown, new RegExp(`\\| \\[${runs[1].id}\\]`));
  assert.doesNotMatch(hover.markdown, new RegExp(runs[0].id));

  const range = 'experiment: ./train.experiment.yaml\nparameters:\n  params.lr: { range: { min: 1, max: 3, step: 1 } }\n  params.bs: { value: 32 }\n';
  const rv = validation(`${D}/r.sweep.yaml`, range);
  const rt = resultsTarget(rv)!;
  const rr = [1, 2, 3].map((lr) => run(rt.sweepIds[0], { 'params.lr': lr, 'params.bs': 32 }, 'succeeded', Math.abs(lr - 2) + 0.1));
  assert.deepEqual(resultHints(rv, rt, rr, opts).map((h) => [h.position.line, h.label]), [[2, '▸ best 2 → 0.1 ★']]);
});

test('an experiment file: its last run\'s outcome beside name:', () => {
  const file = `${D}/train.experiment.yaml`;
  const v = validation(file, EXP);
  const t = resultsTarget(v)!;
  assert.equal(t.kind, 'experiment');
  assert.equal(t.sweepIds[0], sweepIdOf('experiment', {}, 'train'));
  const id = t.sweepIds[0];
  const ok = run(id, {}, 'succeeded', 0.41, { created: '2026-12-03T05:50:00Z', ended: new Date(NOW - 192_000).toISOString() });
  const hints = resultHints(v, t, [ok], opts);
  assert.deepEqual(hints.map((h) => [h.position, h.label]), [[{ line: 0, character: 11 }, '✓ succeeded 3m12s ago · loss 0.41']]);
  assert.equal(hints[0].aged, true, 'an age goes stale: the server pulls it again');
  const failed = run(id, {}, 'failed', undefined, { created: '2026-12-03T05:55:00Z', exit: 3, ended: new Date(NOW - 7_500_000).toISOString() });
  assert.equal(resultHints(v, t, [ok, failed], opts)[0].label, '✗ failed (exit 3) 2h5m ago', 'the newest run');
  const running = { ...run(id, {}, 'running', undefined, { created: '2026-12-03T05:58:00Z' }), attempts: [{ n: 1, started: 'x' }, { n: 2, started: 'y' }] };
  assert.equal(resultHints(v, t, [ok, running], opts)[0].label, '⟳ running (attempt 2)');
  assert.equal(resultHints(v, t, [ok, running], opts)[0].aged, undefined);
  assert.equal(resultHints(v, t, [ok, running], { ...opts, orphaned: () => true })[0].label, '⚠ interrupted (its runner is gone)');
  assert.deepEqual(resultHints(v, t, [], opts), [], 'no runs: no hint');
});

test('hover on a swept value lists its trials\' runs, best first, with command links to their panels — or plain ids', () => {
  const v = validation(sweepFile, SWEEP);
  const id = sweepId();
  const runs = [
    run(id, { 'params.lr': 0.1, 'params.bs': 32 }, 'succeeded', 0.5, { duration: 75 }),
    run(id, { 'params.lr': 0.1, 'params.bs': 64 }, 'failed', undefined, { exit: 137 }),
    run(id, { 'params.lr': 0.1, 'params.bs': 64, 'x': 1 }, 'succeeded', 0.2),
  ];
  runs[2].params = { 'params.lr': 0.1, 'params.bs': 32 };
  runs[2].trial.key = 'other-repeat';
  const t = resultsTarget(v)!;
  const offset = SWEEP.indexOf('- 0.1') + 3;
  const h = resultHover(v, offset, t, runs, opts)!;
  const lines = h.markdown.split('\n');
  assert.equal(lines[0], '**Results of `params.lr` = `0.1`**');
  assert.equal(lines[2], 'loss (minimize): median 0.35 of 2 trials');
  assert.equal(lines[4], '| run | status | loss | duration |');
  assert.equal(lines[6], `| [${runs[2].id}](${commandLink(runs[2].id)} "Open the run's panel") | ✓ succeeded | 0.2 | 12s |`);
  assert.equal(lines[7], `| [${runs[0].id}](${commandLink(runs[0].id)} "Open the run's panel") | ✓ succeeded | 0.5 | 1m15s |`);
  assert.equal(lines[8], `| [${runs[1].id}](${commandLink(runs[1].id)} "Open the run's panel") | ✗ failed (exit 137) |  | 12s |`);
  assert.deepEqual(h.range, { start: { line: 5, character: 8 }, end: { line: 5, character: 11 } });
  assert.equal(commandLink('a-1'), 'command:expctl.openRun?%5B%22a-1%22%5D');

  const plain = resultHover(v, offset, t, runs, { ...opts, commandLinks: false })!;
  assert.doesNotMatch(plain.markdown, /command:/);
  assert.match(plain.markdown, new RegExp(`\\| \`${runs[0].id}\` \\| ✓ succeeded \\| 0\\.5 \\|`));
  assert.equal(resultHover(v, SWEEP.indexOf('method'), t, runs, opts), undefined, 'nothing to add elsewhere');
});

test('hover on name: lists the runs newest first, at most HOVER_ROWS, and says how many more', () => {
  const file = `${D}/train.experiment.yaml`;
  const v = validation(file, EXP);
  const t = resultsTarget(v)!;
  const runs = Array.from({ length: HOVER_ROWS + 3 }, (_, i) => run(t.sweepIds[0], {}, 'succeeded', i, { created: new Date(NOW - (100 - i) * 60_000).toISOString() }));
  const h = resultHover(v, 7, t, runs, opts)!;
  const lines = h.markdown.split('\n');
  assert.equal(lines[0], `**Runs of this experiment** — ${HOVER_ROWS + 3} runs, newest first`);
  assert.ok(lines[4].includes(runs.at(-1)!.id), 'newest first');
  assert.equal(lines.at(-1), '… and 3 more (the Experiments view lists them all).');
});

test('hover on name_template (the trials\' names) lists each trial\'s newest run, best first', () => {
  const text = `${SWEEP}name_template: "lr{params.lr}_bs{params.bs}"\n`;
  const v = validation(sweepFile, text);
  const t = resultsTarget(v)!;
  const runs = [
    run(t.sweepIds[0], { 'params.lr': 0.1, 'params.bs': 32 }, 'succeeded', 0.5),
    run(t.sweepIds[0], { 'params.lr': 0.01, 'params.bs': 32 }, 'succeeded', 0.3),
    run(t.sweepIds[0], { 'params.lr': 0.01, 'params.bs': 64 }, 'running'),
  ];
  const h = resultHover(v, text.indexOf('lr{'), t, runs, opts)!;
  const lines = h.markdown.split('\n');
  assert.equal(lines[0], '**Trials of this sweep** — 3 trials with runs, best first');
  assert.equal(lines[2], 'loss (minimize): median 0.4 of 2 trials');
  assert.deepEqual(lines.slice(6).map((l) => l.split(' | ')[1]), ['✓ succeeded', '✓ succeeded', '⟳ running']);
  assert.ok(lines[6].includes(runs[1].id), 'the best first');
});
