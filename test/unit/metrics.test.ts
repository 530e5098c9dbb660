// The metrics protocol's parser (NaN and Infinity as Python's json.dumps writes them, nested
// objects, bad lines with a reason), the summary with non-finite values, the sentences every view
// shows (CLI, panels), and the collector's rebuild of a resumed run from real files.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  badLinesSentence, MetricSummarizer, missingPrimary, normalizeRecord, parseJsonRecord, parseMetricJson, parseStdoutLine, runWarnings,
} from '../../core/src/runner/metrics';
import { METRICS_FILE, MetricsCollector } from '../../core/src/runner/collector';
import { groupItems } from '../../core/src/stats';
import { createTheme } from '../../core/src/charts';
import type { RunRecord } from '../../core/src/store/store';
import type { RunRow } from '../../webviews/src/contract';
import { metricValue, trialColumns } from '../../webviews/src/sweep/model';
import { metricChart, RunModel, SUMMARY_COLUMNS, summaryRows } from '../../webviews/src/run/model';
import { sortRows } from '../../webviews/src/lib/table';
import { renderStatus } from '../../cli/src/render';

describe('parsing', () => {
  test('what Python json.dumps writes by default, NaN and ±Infinity included, parses the same as Python reads it', () => {
    // The lines come from Python itself, and Python reads back what we keep.
    const py = spawnSync('python3', ['-c', [
      'import json, math',
      'print(json.dumps({"step": 3, "loss": float("nan"), "hi": math.inf, "lo": -math.inf, "s": "NaN Infinity", "u": "\\u00e9\\"x", "e": 1e-07}))',
      'print(json.dumps({"eval": {"loss": float("nan"), "acc": {"top1": 0.5}}, "h": [1, float("inf"), {"k": float("nan")}]}))',
    ].join('\n')], { encoding: 'utf8' });
    assert.ok(!py.error && py.status === 0, `python3 is needed for this test: ${py.error?.message ?? py.stderr}`);
    const [a, b] = py.stdout.trim().split('\n');
    assert.throws(() => JSON.parse(a), 'plain JSON.parse refuses it, which is why the scanner exists');
    assert.deepEqual(parseJsonRecord(a).record, { step: 3, loss: 'NaN', hi: 'Infinity', lo: '-Infinity', s: 'NaN Infinity', u: 'é"x', e: 1e-7 });
    assert.deepEqual(parseJsonRecord(b).record, { 'eval.loss': 'NaN', 'eval.acc.top1': 0.5, h: [1, 'Infinity', { k: 'NaN' }] });
  });

  test('NaN inside a string literal stays text, also next to escaped quotes and backslashes', () => {
    const v = parseMetricJson(String.raw`{"a": "x\" NaN", "b\\": "Infinity\\", "c": NaN, "d": [-Infinity, "-Infinity"]}`).value as Record<string, unknown>;
    assert.equal(v.a, 'x" NaN');
    assert.equal(v['b\\'], 'Infinity\\');
    assert.ok(Number.isNaN(v.c));
    assert.deepEqual(v.d, [-Infinity, '-Infinity']);
  });

  test('a key named __proto__ is a metric like any other, not the prototype', () => {
    const r = parseJsonRecord('{"__proto__": {"polluted": NaN}, "x": 1}').record!;
    assert.deepEqual(Object.keys(r), ['__proto__.polluted', 'x']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('the @expctl marker starts a stdout line (after a torchrun rank prefix); other lines are not metrics', () => {
    assert.deepEqual(parseStdoutLine('@expctl {"loss": 1}'), { record: { loss: 1 } });
    assert.deepEqual(parseStdoutLine('[rank0] @expctl {"loss": Infinity}'), { record: { loss: 'Infinity' } });
    assert.deepEqual(parseStdoutLine('[rank3]: @expctl {"loss": 2}'), { record: { loss: 2 } });
    assert.equal(parseStdoutLine('epoch 3 loss NaN'), undefined);
    // A log line that quotes a report is not one; nor a PyTorchJob worker's line in a cluster run's merged log.
    assert.equal(parseStdoutLine('INFO 12:00 sent @expctl {"loss": 999}'), undefined);
    assert.equal(parseStdoutLine('[worker-0] @expctl {"loss": 999}'), undefined);
    assert.equal(parseStdoutLine(' @expctl {"loss": 999}'), undefined);
  });

  test('bad lines say what is wrong, where, and what to do', () => {
    const err = (line: string) => parseStdoutLine(line)!.error!;
    assert.equal(err('@expctl {loss: 1}'), 'not JSON: expected a property name in double quotes, found "loss" — property names need double quotes (column 10)');
    assert.match(err("@expctl {'loss': 1}"), /double quotes \(print json\.dumps\(d\), not the dict itself\) \(column 10\)$/);
    assert.match(err('@expctl {"ok": True}'), /found "True" — that is Python; JSON writes true, false, null \(use json\.dumps\)/);
    assert.match(err('@expctl {"loss": nan}'), /found "nan" — JSON-style NaN and Infinity are accepted/);
    assert.equal(err('@expctl {"loss": 1'), 'not JSON: expected "," or "}", found end of line (column 19)');
    assert.equal(err('@expctl {"loss": 1} x'), 'not JSON: unexpected "x" after the JSON value (column 21)');
    assert.equal(err('@expctl {"a": "b'), 'not JSON: a string that never ends (no closing ") (column 15)');
    assert.equal(err('@expctl [1, 2]'), 'expected a JSON object like {"loss": 0.31}, found an array');
    assert.match(parseMetricJson(`${'['.repeat(300)}NaN${']'.repeat(300)}`).error!, /nested deeper than 256 levels/);
  });

  test('nested objects flatten to dotted names; arrays stay values', () => {
    assert.deepEqual(normalizeRecord({ eval: { loss: 1, acc: { top1: 0.9 } }, hist: [1, 2], empty: {}, n: null }),
      { 'eval.loss': 1, 'eval.acc.top1': 0.9, hist: [1, 2], n: null });
  });
});

describe('summary', () => {
  test('a diverged metric ends as NaN; min, max and mean are over the finite reports, which are counted apart', () => {
    const s = new MetricSummarizer();
    for (const loss of [2, 1, 'NaN', 3, 'Infinity', 'NaN']) s.add({ loss, note: 'NaN?' });
    assert.deepEqual(s.summary.loss, { last: 'NaN', min: 1, max: 3, mean: 2, count: 6, non_finite: 3 });
    assert.equal(s.summary.note, undefined, 'text that is not a non-finite spelling is not a metric');
    const only = new MetricSummarizer();
    only.add({ x: '-Infinity' });
    assert.deepEqual(only.summary.x, { last: '-Infinity', count: 1, non_finite: 1 });
  });

  test('a run without its primary metric: the message names it, a close name, and what was reported', () => {
    assert.equal(missingPrimary('val_loss', { loss: { last: 1, count: 1 } }), 'never reported its primary metric "val_loss" — it reported loss');
    assert.equal(missingPrimary('val_loss', { 'val-loss': { last: 1, count: 1 }, step: { last: 9, count: 1 } }),
      'never reported its primary metric "val_loss" (did you mean "val-loss"?) — it reported val-loss, step');
    assert.match(missingPrimary('val_loss', {})!, /no metric at all \(print @expctl \{"val_loss": …\} on stdout or append that JSON line to \$EXPCTL_METRICS_FILE\)$/);
    assert.equal(missingPrimary('val_loss', { val_loss: { last: 'NaN', count: 1, non_finite: 1 } }), undefined, 'a NaN is a report');
    assert.equal(missingPrimary(undefined, {}), undefined);
  });

  test('one sentence for unreadable lines, per run and per sweep', () => {
    const first = { source: 'stdout' as const, line: 12, text: '@expctl {loss: 1}', error: 'expected …' };
    assert.equal(badLinesSentence(3, first), '3 metric lines could not be read; first at stdout line 12: @expctl {loss: 1} — expected …');
    assert.equal(badLinesSentence(1, { ...first, source: 'file', line: 2 }), '1 metric line could not be read; at metrics file line 2: @expctl {loss: 1} — expected …');
    assert.equal(badLinesSentence(3, first, { runs: 2, run: 'lr0.1-ab12cd34' }),
      '3 metric lines could not be read in 2 runs; first at lr0.1-ab12cd34 stdout line 12: @expctl {loss: 1} — expected …');
    assert.deepEqual(runWarnings({ metrics_bad_lines: 1, metrics_first_bad: first, warnings: ['w'] }), [badLinesSentence(1, first), 'w']);
  });
});

describe('stats', () => {
  test('a NaN or Infinity is excluded and counted with its reason, apart from missing values and text', () => {
    const runs = [['a', 1], ['b', 'NaN'], ['c', 'Infinity'], ['d', undefined], ['e', 2]].map(([id, last]) => ({
      id, params: {}, summary: last === undefined ? {} : { loss: { last, count: 1 } },
    }));
    const rows = [{ run_id: 'f', 'loss.last': 'nan' }, { run_id: 'g', 'loss.last': '-inf' }, { run_id: 'h', 'loss.last': 'n/a' }, { run_id: 'i', 'loss.last': '3' }];
    const [g] = groupItems([...runs as never[], ...rows], { by: 'nothing', metrics: ['loss'] });
    const col = g.metrics.loss;
    assert.equal(col.missing, 6);
    assert.deepEqual(col.reasons, { NaN: 2, Infinity: 1, missing: 1, '-Infinity': 1, 'not a number': 1 });
    assert.deepEqual([...col.values].filter(Number.isFinite), [1, 2, 3]);
    // min of a run whose every report was NaN: no finite value, not "missing".
    const [m] = groupItems([{ id: 'x', params: {}, summary: { loss: { last: 'NaN', count: 2, non_finite: 2 } } } as never], { by: 'nothing', metrics: ['loss'], reduce: 'min' });
    assert.deepEqual(m.metrics.loss.reasons, { 'no finite value': 1 });
  });
});

describe('collector (real files)', () => {
  test('a resumed run derives metrics.jsonl again from stdout.log and the metrics file: no duplicates, exact line numbers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-metrics-'));
    fs.writeFileSync(path.join(dir, 'stdout.log'), 'hello\n@expctl {"loss": 2}\n@expctl {loss: 1}\n@expctl {"loss": NaN, "eval": {"acc": 0.5}}\npartial');
    fs.writeFileSync(path.join(dir, METRICS_FILE), '{"val": 1}\n\nnot json\n{"val": Infinity}');
    // What a killed runner had written: part of it, twice.
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '{"loss":2}\n{"loss":2}\n');
    const c = new MetricsCollector(dir, undefined, true);
    const m = c.finish();
    const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines, [{ loss: 2 }, { loss: 'NaN', 'eval.acc': 0.5 }, { val: 1 }, { val: 'Infinity' }]);
    assert.deepEqual(m.summary.loss, { last: 'NaN', min: 2, max: 2, mean: 2, count: 2, non_finite: 1 });
    assert.equal(m.badLines, 2);
    assert.deepEqual(m.firstBad, { source: 'stdout', line: 3, text: '@expctl {loss: 1}', error: 'not JSON: expected a property name in double quotes, found "loss" — property names need double quotes (column 10)' });
  });

  test('only the listed sources are read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-metrics-'));
    fs.writeFileSync(path.join(dir, 'stdout.log'), '@expctl {"a": 1}\n@expctl bad\n');
    fs.writeFileSync(path.join(dir, METRICS_FILE), '{"b": 1}\nbad\n');
    const fileOnly = new MetricsCollector(dir, ['file'], true).finish();
    assert.deepEqual([Object.keys(fileOnly.summary), fileOnly.badLines, fileOnly.firstBad?.source], [['b'], 1, 'file']);
    const stdoutOnly = new MetricsCollector(dir, ['stdout', 'kafka'], true).finish();
    assert.deepEqual([Object.keys(stdoutOnly.summary), stdoutOnly.badLines, stdoutOnly.firstBad?.line], [['a'], 1, 2]);
  });
});

describe('views', () => {
  const run = (id: string, last: unknown, extra: object = {}) => ({
    id, sweep_id: 's', experiment: 'e', trial: { index: 0, key: id, name: id, repeat: 0 }, params: { 'params.lr': 0.1 }, status: 'succeeded', target: 'local',
    created: '2025-01-01T00:00:00Z', attempt_count: 1, summary: { val_loss: { last, count: 1, ...extra } },
  }) as unknown as RunRow;

  test('the sweep table shows a diverged run as NaN, sorted after every number; charts leave it out', () => {
    const rows = [run('a', 'NaN', { non_finite: 1 }), run('b', 0.5), run('c', '-Infinity', { non_finite: 1 })];
    const col = trialColumns(rows, [], 'val_loss').find((c) => c.id === 'metric')!;
    assert.deepEqual(rows.map((r) => col.text!(r)), ['NaN', '0.5', '-Infinity']);
    assert.deepEqual(sortRows(rows, [col], { column: 'metric', desc: false }).map((r) => r.id), ['c', 'b', 'a']);
    assert.deepEqual(rows.map((r) => metricValue(r, 'val_loss')), [undefined, 0.5, undefined]);
  });

  test('the run panel: last NaN in the summary table and the chart subtitle, non-finite reports counted', () => {
    const rec = { ...run('a', 'NaN', { min: 1, max: 2, mean: 1.5, count: 4, non_finite: 2 }), attempts: [] } as unknown as RunRecord;
    const [r] = summaryRows(rec);
    const cell = (id: string) => SUMMARY_COLUMNS.find((c) => c.id === id)!;
    assert.deepEqual([cell('last').text!(r), cell('last').value(r), cell('non_finite').value(r), cell('min').text!(r)], ['NaN', NaN, 2, '1']);
    const model = new RunModel({ run: rec, config: '', metrics: { val_loss: { x: [0, 1], y: [1, 2], steps: true } }, telemetry: [] });
    assert.match(metricChart(model, 'val_loss', createTheme({ mode: 'dark' })).config.options!.plugins!.subtitle!.text as string,
      /^last NaN · min 1 · max 2 · 2 points · 2 NaN\/Infinity not drawn$/);
  });

  test('expctl status: a running trial whose latest value is NaN shows it', () => {
    const text = renderStatus([{
      id: 's', name: 's', total: 1, updated: '', counts: { pending: 0, queued: 0, running: 1, succeeded: 0, failed: 0, cancelled: 0, interrupted: 0 },
      running: [{ id: 'r', trial: 't', attempt: 1, elapsedS: 3, latest: { name: 'loss', value: 'NaN', step: 4 } }], failed: [], metricProblems: { warnings: [] },
    }], { color: false }, '.expctl');
    assert.match(text, /▶ t {2}3s {2}attempt 1 {2}loss NaN @ step 4 {2}r/);
  });
});
