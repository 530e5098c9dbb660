// `expctl stats`, `compare` and `report` as users run them: on CSV tables, on the store, and on a
// campaign's job_summary.csv; output formats, charts, and clear errors for bad input.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe } from '../../core/src/stats';

const CLI = path.resolve('dist/cli.js');
const FIX = path.resolve('test/fixtures/analyze');
const run = (args: string[], cwd = process.cwd()) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const isPng = (f: string) => fs.readFileSync(f).subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

test('stats on a CSV: groups, exclusions counted, failed rows left out, bad rows named by line', () => {
  const r = run(['stats', `${FIX}/loading.csv`, '--metric', 'load_s', '--group-by', 'format', '--json']);
  assert.equal(r.code, 0, r.err);
  const { groups } = JSON.parse(r.out);
  const avro = groups.find((g: { key: string }) => g.key === 'avro').summary;
  const expected = describe([12.1, 11.4, 13.0, 29.5, 12.6]);
  assert.ok(!expected.empty);
  assert.equal(avro.mean, expected.mean);
  assert.equal(avro.box.median, 12.6);
  assert.deepEqual(avro.box.outliers.map((o: { id: string }) => o.id), ['r4']);
  const json = groups.find((g: { key: string }) => g.key === 'json').summary;
  assert.deepEqual([json.n, json.excluded, json.box.median], [4, 1, 21]);
  assert.match(r.err, /loading\.csv:13: .*row skipped/);
  assert.match(r.err, /1 run that did not succeed left out \(--all to include them\)/);
});

test('stats: table, markdown and CSV output; a box plot PNG; a missing metric lists the ones found', () => {
  const t = run(['stats', `${FIX}/loading.csv`, '--metric', 'load_s', '--group-by', 'format']);
  assert.match(t.out, /^format\s+n\s+excluded\s+mean\s+std\s+ci95_low\s+ci95_high\s+min\s+q1\s+median\s+q3\s+max\s+outliers$/m);
  assert.match(t.out, /^avro\s+5\s+0\s+15\.72\s/m);
  const md = run(['stats', `${FIX}/loading.csv`, '--metric', 'load_s', '--group-by', 'format', '--md']);
  assert.match(md.out, /^\| format \| n \| excluded \|/);
  assert.match(md.out, /^\| json \| 4 \| 1 \| 21\.07 \|/m);
  const csv = run(['stats', `${FIX}/loading.csv`, '--metric', 'load_s', '--group-by', 'format', '--csv']);
  assert.match(csv.out, /^avro,5,0,15\.71999+,7\.7263833712805114,/m); // full precision
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-stats-'));
  const chart = run(['stats', `${FIX}/loading.csv`, '--metric', 'load_s', '--group-by', 'format', '--chart', `${dir}/box.png`]);
  assert.equal(chart.code, 0, chart.err);
  assert.ok(isPng(`${dir}/box.png`));
  const none = run(['stats', `${FIX}/loading.csv`]);
  assert.equal(none.code, 2);
  assert.match(none.err, /which metric\? pass --metric NAME \(found: .*load_s/);
  const both = run(['stats', `${FIX}/loading.csv`, '--metric', 'load_s', '--json', '--md']);
  assert.equal(both.code, 2);
  assert.match(both.err, /choose one of --json, --csv, --md/);
});

test('compare: ranking, ratios, p-values; sequential vs parallel campaigns give speedup and efficiency', () => {
  const g = run(['compare', `${FIX}/loading.csv`, '--metric', 'load_s', '--group-by', 'format', '--json']);
  assert.equal(g.code, 0, g.err);
  const c = JSON.parse(g.out);
  assert.deepEqual(c.rows.map((r: { key: string; rank: number }) => [r.key, r.rank]), [['avro', 1], ['json', 2]]);
  assert.equal(c.rows[1].ratio, 21 / 12.6);
  // r4 (29.5) is slower than every json run: the samples overlap, and the test says so.
  assert.ok(c.rows[1].vsBest.mannWhitneyP > 0.05 && c.rows[1].vsBest.mannWhitneyP < 1);
  assert.equal(c.rows[1].vsBest.medianDiff.observed, 21 - 12.6);
  const s = run(['compare', `${FIX}/loading.csv`, `${FIX}/loading-parallel.csv`, '--metric', 'load_s']);
  assert.equal(s.code, 0, s.err);
  // Sequential: 10:00:00 → 10:02:50 (170 s, 10 runs succeeded); parallel: 50 s, 8 runs, at most 4 at
  // once. Different amounts of work: per trial, (170 / 10) / (50 / 8) = 2.72.
  assert.match(s.out, /loading-parallel: 2\.72× faster than loading per unit of work \(wall time per trial; 8 trials against 10\) with 4 at once \(efficiency 68%, per trial /);
  const one = run(['compare', `${FIX}/loading.csv`, '--metric', 'load_s']);
  assert.equal(one.code, 2);
  assert.match(one.err, /compare needs at least two groups, got 1/);
});

test('report: charts, summary.md and summary.json from job_summary.csv; filters; bad input', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-report-'));
  const r = run(['report', 'examples/campaign-report/job_summary.csv', '--out', out, '--resource', 'delta,aws']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^\d[\d,]* attempts on 2 resources/);
  const files = fs.readdirSync(out).sort();
  assert.deepEqual(files.filter((f) => !f.endsWith('.png')), ['summary.json', 'summary.md']);
  const pngs = files.filter((f) => f.endsWith('.png'));
  assert.ok(pngs.length >= 8, pngs.join(', '));
  for (const f of pngs) assert.ok(isPng(path.join(out, f)), f);
  const json = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.deepEqual(json.resources.map((x: { resource: string }) => x.resource).sort(), ['aws', 'delta']);
  assert.match(fs.readFileSync(path.join(out, 'summary.md'), 'utf8'), /\| delta \|/);
  // A CSV without the required columns: one clear line naming them, nothing written.
  const bad = path.join(out, 'bad.csv');
  fs.writeFileSync(bad, 'Job Name,Final Status\nx,completed\n');
  const empty = path.join(out, 'empty-out');
  const e = run(['report', bad, '--out', empty]);
  assert.equal(e.code, 1);
  assert.match(e.err, /bad\.csv: .*(Targeted Resource|resource)/i);
  assert.doesNotMatch(e.err, /\n\s+at /, 'no stack trace');
  assert.equal(fs.existsSync(empty), false);
  const d = run(['report', 'examples/campaign-report/job_summary.csv', '--from', 'yesterday']);
  assert.equal(d.code, 2);
  assert.match(d.err, /--from takes a date like 2025-03-01/);
});
