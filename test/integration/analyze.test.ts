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
  // --derive: a section in summary.md and .json, attempts without a value counted on stderr.
  const dv = run(['report', 'examples/campaign-report/job_summary.csv', '--out', out, '--derive', 'gb_per_h=bytesReceived / 1e9 / (execSeconds / 3600)']);
  assert.equal(dv.code, 0, dv.err);
  assert.match(dv.err, /--derive gb_per_h: no value for \d+ of 4000 attempts \(/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).derived[0].name, 'gb_per_h');
  assert.match(fs.readFileSync(path.join(out, 'summary.md'), 'utf8'), /## Derived metrics/);
  const typo = run(['report', 'examples/campaign-report/job_summary.csv', '--out', out, '--derive', 'x=bytesRecieved / 2']);
  assert.equal(typo.code, 1);
  assert.match(typo.err, /did you mean bytesReceived\?/);
  assert.doesNotMatch(typo.err, /\n\s+at /, 'no stack trace');
});

// ---- several metrics, percentiles, pooled distributions, paired comparisons (issue 12 items 2–4) ----

const spec = JSON.parse(fs.readFileSync('test/fixtures/stats/datasets.json', 'utf8')) as { datasets: Record<string, number[]> };
const reference = JSON.parse(fs.readFileSync('test/fixtures/stats/reference.json', 'utf8')) as {
  paired: Array<{ a: string; b: string; wilcoxon: { p: number }; ttest_rel: { p: number }; welch_p: number; median_diff: number }>;
};
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.abs(b), `${what}: ${a} vs ${b}`);

/** The load test's 27 cells (concurrency × input size) for two schedulers, plus two cells only "ours" ran. */
function schedulerCsv(dir: string): string {
  const file = path.join(dir, 'schedulers.csv');
  const lines = ['run_id,scheduler,concurrency,input,p95_s,status'];
  const conc = [1, 2, 4, 8, 16, 32, 64, 128, 256];
  const input = ['1k', '64k', '1m'];
  for (const [sched, set] of [['ours', 'sched_ours'], ['base', 'sched_base']] as const) {
    spec.datasets[set].forEach((v, i) => lines.push(`${sched}-${i},${sched},${conc[i % 9]},${input[Math.floor(i / 9)]},${v},succeeded`));
  }
  lines.push('ours-x1,ours,512,1k,2.3,succeeded', 'ours-x2,ours,512,64k,2.5,succeeded');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

test('compare --paired-by: 27 load-test cells, equal to scipy; unpaired cells said; exactly two groups', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-paired-'));
  const csv = schedulerCsv(dir);
  const ref = reference.paired.find((p) => p.a === 'sched_ours')!;
  const unpaired = run(['compare', csv, '--metric', 'p95_s', '--group-by', 'scheduler', '--json']);
  assert.equal(unpaired.code, 0, unpaired.err);
  // The unpaired tests (with the two extra cells) see no difference…
  assert.ok(JSON.parse(unpaired.out).rows[1].vsBest.welchP > 0.3);
  const j = run(['compare', csv, '--metric', 'p95_s', '--group-by', 'scheduler', '--paired-by', 'concurrency,input', '--json']);
  assert.equal(j.code, 0, j.err);
  const out = JSON.parse(j.out);
  // Groups in key order: base, ours. The differences are base − ours here.
  assert.deepEqual([out.a, out.b, out.onlyA, out.onlyB], ['base', 'ours', [], ['concurrency=512, input=1k', 'concurrency=512, input=64k']]);
  const r = out.results[0];
  assert.deepEqual([r.n, r.wins, r.ties, r.losses], [27, 2, 0, 25]);
  near(r.wilcoxon.p, ref.wilcoxon.p, 'Wilcoxon p');
  near(r.t.p, ref.ttest_rel.p, 'paired t p');
  near(r.medianDiff.observed, -ref.median_diff, 'median difference');
  assert.equal(r.wilcoxon.method, 'exact');
  assert.match(j.err, /2 cells only in ours, left out: concurrency=512, input=1k; concurrency=512, input=64k/);
  // The table says it in words, with the p-value's magnitude.
  const t = run(['compare', csv, '--metric', 'p95_s', '--group-by', 'scheduler', '--paired-by', 'concurrency,input']);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^metric\s+a\s+b\s+pairs\s+wins\s+ties\s+losses\s+median_diff\s+median_diff_ci95\s+p_wilcoxon\s+wilcoxon_method\s+p_ttest\s+only_a\s+only_b$/m);
  assert.match(t.out, /^p95_s\s+base\s+ours\s+27\s+2\s+0\s+25\s+.*\s7\.5e-8\s+exact\s+4\.0e-9\s+0\s+2$/m);
  assert.match(t.out, /p95_s \(minimize\): base lower than ours in 2 of 27 paired cells \(concurrency, input\), tied in 0, higher in 25; median difference base − ours 0\.19\d* \[/);
  const csvOut = run(['compare', csv, '--metric', 'p95_s', '--group-by', 'scheduler', '--paired-by', 'concurrency,input', '--csv']);
  assert.match(csvOut.out, /^p95_s,base,ours,27,2,0,25,/m);
  // Three groups, or a key no row has: errors that say what to do.
  const three = run(['compare', csv, '--metric', 'p95_s', '--group-by', 'concurrency', '--paired-by', 'input']);
  assert.equal(three.code, 2);
  assert.match(three.err, /--paired-by compares exactly two groups, got 10 \(1; 2; 4; 8; 16; 32\): give two sources, or a --group-by with two values/);
  const typo = run(['compare', csv, '--metric', 'p95_s', '--group-by', 'scheduler', '--paired-by', 'concurency']);
  assert.equal(typo.code, 1);
  assert.match(typo.err, /--paired-by concurency: no run has this key — did you mean concurrency\? available: run_id, scheduler, concurrency, input, p95_s, status/);
});

test('several metrics at once; unknown metric or key is exit 1 with what is available; columns and percentiles', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-multi-'));
  const file = path.join(dir, 'm.csv');
  const rows = ['run_id,mode,latency_s,throughput'];
  const lat: Record<string, number[]> = { a: [], b: [] };
  const thr: Record<string, number[]> = { a: [], b: [] };
  for (let i = 0; i < 12; i++) {
    const mode = i % 2 ? 'b' : 'a';
    const l = 0.1 + ((i * 37) % 11) / 100;
    const t = 900 + ((i * 53) % 17) * 3;
    lat[mode].push(l);
    thr[mode].push(t);
    rows.push(`r${i},${mode},${l},${t}`);
  }
  fs.writeFileSync(file, `${rows.join('\n')}\n`);
  const j = run(['stats', file, '--metric', 'latency_s,throughput', '--group-by', 'mode', '--percentiles', '50,90,95,99', '--json']);
  assert.equal(j.code, 0, j.err);
  const out = JSON.parse(j.out);
  assert.deepEqual(out.metrics, ['latency_s', 'throughput']);
  assert.deepEqual(out.groups.map((g: { metric: string; key: string }) => `${g.metric}/${g.key}`), ['latency_s/a', 'latency_s/b', 'throughput/a', 'throughput/b']);
  const expected = describe(thr.b, { quantiles: [0.5, 0.9, 0.95, 0.99] });
  assert.ok(!expected.empty);
  assert.deepEqual(out.groups[3].summary.quantiles, expected.quantiles);
  const t = run(['stats', file, '--metric', 'latency_s,throughput', '--group-by', 'mode', '--columns', 'n,mean,var,iqr,fences,p95']);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /^metric\s+mode\s+n\s+mean\s+var\s+iqr\s+lower_fence\s+upper_fence\s+p95$/m);
  const a = describe(lat.a, { quantiles: [0.95] });
  assert.ok(!a.empty);
  const c = run(['stats', file, '--metric', 'latency_s,throughput', '--group-by', 'mode', '--columns', 'n,var,iqr,fences,p95', '--csv']);
  assert.equal(c.out.split('\n')[1], ['latency_s', 'a', a.n, a.variance, a.box.iqr, a.box.lowerFence, a.box.upperFence, a.quantiles[0].value].join(','));
  // Long format: one row per metric × group.
  assert.equal(c.out.trim().split('\n').length, 5);
  const cmp = run(['compare', file, '--metric', 'latency_s,throughput', '--group-by', 'mode', '--json']);
  assert.equal(cmp.code, 0, cmp.err);
  assert.deepEqual(JSON.parse(cmp.out).comparisons.map((x: { metric: string }) => x.metric), ['latency_s', 'throughput']);
  // It used to print empty groups and exit 0.
  const bad = run(['stats', file, '--metric', 'latency_s,througput', '--group-by', 'mode']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--metric througput: no run reports this metric — did you mean throughput\? available: run_id, mode, latency_s, throughput/);
  assert.equal(bad.out, '');
  const key = run(['stats', file, '--metric', 'latency_s', '--group-by', 'mdoe']);
  assert.equal(key.code, 1);
  assert.match(key.err, /--group-by mdoe: no run has this key — did you mean mode\?/);
  const col = run(['stats', file, '--metric', 'latency_s', '--columns', 'n,kurtosis']);
  assert.equal(col.code, 2);
  assert.match(col.err, /--columns: unknown column "kurtosis" \(choose from n, excluded, mean, std, var, ci95, min, q1, median, q3, max, iqr, fences, whiskers, gmean, outliers, or pNN/);
  const pct = run(['stats', file, '--metric', 'latency_s', '--percentiles', '95,120']);
  assert.equal(pct.code, 2);
  assert.match(pct.err, /--percentiles takes numbers from 0 to 100 .*\(got "120"\)/);
});

/** Deterministic per-request latencies of one load-test run (also written into the runs' script). */
function requestLatencies(scheduler: string, concurrency: number, repeat: number): number[] {
  const base = 0.05 * Math.sqrt(concurrency) * (scheduler === 'ours' ? 0.9 : 1);
  return Array.from({ length: 30 }, (_, i) => Math.round((base * (1 + ((i * 7 + repeat * 3 + concurrency) % 13) / 20)) * 1e6) / 1e6);
}

test('a sweep from the store: grouped by its swept parameters; --reduce all pools every report (lists too) per cell; --paired-by repeat', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-pool-'));
  // Each run reports 20 latencies one by one, the other 10 as one list, and its throughput once.
  fs.writeFileSync(path.join(ws, 'load.js'), [
    `const f = ${requestLatencies.toString()};`,
    'const [s, c, r] = process.argv.slice(2); const l = f(s, Number(c), Number(r));',
    'for (const x of l.slice(0, 20)) console.log(`@expctl ${JSON.stringify({ latency_s: x })}`);',
    'console.log(`@expctl ${JSON.stringify({ latency_s: l.slice(20), throughput: 100 / l[0] })}`);',
  ].join('\n'));
  fs.writeFileSync(path.join(ws, 'load.experiment.yaml'),
    'name: load\ncommand: [node, load.js, "{params.scheduler}", "{params.concurrency}", "{repeat}"]\nparams: { scheduler: base, concurrency: 1 }\nrepeat: 2\n');
  fs.writeFileSync(path.join(ws, 'grid.sweep.yaml'),
    'experiment: ./load.experiment.yaml\nmethod: grid\nparameters:\n  params.scheduler: { values: [base, ours] }\n  params.concurrency: { values: [1, 8, 64] }\nrepeat: 2\nmax_parallel: 4\n');
  const r = run(['run', 'grid.sweep.yaml', '--store', '.expctl'], ws);
  assert.equal(r.code, 0, r.out + r.err);
  const s = run(['stats', 'grid.sweep.yaml', '--store', '.expctl', '--metric', 'latency_s', '--reduce', 'all', '--percentiles', '95', '--json'], ws);
  assert.equal(s.code, 0, s.err);
  assert.match(s.err, /grouped by the sweep's swept parameters params\.scheduler, params\.concurrency \(--group-by to choose\)/);
  const groups = JSON.parse(s.out).groups as Array<{ key: string; summary: { n: number; quantiles: Array<{ q: number; value: number }> } }>;
  assert.equal(groups.length, 6);
  const cell = groups.find((g) => g.key === 'params.scheduler=ours, params.concurrency=64')!;
  const pooled = describe([...requestLatencies('ours', 64, 1), ...requestLatencies('ours', 64, 2)], { quantiles: [0.95] });
  assert.ok(!pooled.empty);
  assert.equal(cell.summary.n, 60);
  assert.equal(cell.summary.quantiles[0].value, pooled.quantiles[0].value);
  // Without --reduce all a list value is not one number: the final report is the list, so nothing.
  const final = run(['stats', 'grid.sweep.yaml', '--store', '.expctl', '--metric', 'throughput,latency_s', '--json'], ws);
  assert.equal(final.code, 0, final.err);
  const fin = JSON.parse(final.out).groups as Array<{ metric: string; summary: { n?: number; empty?: boolean } }>;
  assert.ok(fin.filter((g) => g.metric === 'throughput').every((g) => g.summary.n === 2));
  // Pairing by the repeat index and concurrency: the two schedulers, 3 × 2 cells, ours lower in each.
  const p = run(['compare', 'grid.sweep.yaml', '--store', '.expctl', '--metric', 'latency_s', '--reduce', 'all', '--paired-by', 'params.concurrency,repeat', '--json'], ws);
  assert.equal(p.code, 0, p.err);
  const pr = JSON.parse(p.out);
  assert.deepEqual([pr.a, pr.b], ['base', 'ours']);
  assert.deepEqual([pr.results[0].n, pr.results[0].wins, pr.results[0].losses], [6, 0, 6]);
});

test('--derive NAME=EXPR: computed per CSV row and per stored run, analysed like a metric; rows without a value counted with why; a bad expression is one usage line', () => {
  const csv = run(['stats', `${FIX}/loading.csv`, '--derive', 'load_ms=load_s * 1000', '--derive', 'per_s=1 / (load_s - 12.1)', '--metric', 'load_ms,per_s', '--group-by', 'format', '--json']);
  assert.equal(csv.code, 0, csv.err);
  const { groups } = JSON.parse(csv.out) as { groups: Array<{ metric: string; key: string; summary: { n: number; mean: number; excluded: number } }> };
  const avro = groups.find((g) => g.metric === 'load_ms' && g.key === 'avro')!.summary;
  assert.ok(Math.abs(avro.mean - describeMean([12.1, 11.4, 13.0, 29.5, 12.6]) * 1000) < 1e-9);
  assert.match(csv.err, /^--derive per_s: no value for 2 of \d+ runs \(1 division by zero, 1 no value for load_s\)$/m);
  const bad = run(['stats', `${FIX}/loading.csv`, '--derive', 'x=load_s *', '--metric', 'x']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err.split('\n')[0], 'expctl: --derive x: expected a number, a name or "(", found the end (at column 9 of "load_s *")');
  const noEq = run(['stats', `${FIX}/loading.csv`, '--derive', 'load_s']);
  assert.equal(noEq.code, 2);
  assert.match(noEq.err, /^expctl: --derive takes NAME=EXPRESSION/);
});

function describeMean(xs: number[]): number {
  const d = describe(xs);
  assert.ok(!d.empty);
  return d.mean;
}

test('compare: no speedup between campaigns of different trials (said, with counts); a subset is per trial; --work compares per unit of a metric', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-work-'));
  // Each campaign: trials one after another (a) or all at once (b, c), 60 s each.
  const csv = (name: string, keys: string[], parallel: boolean, tokens: number) => {
    const rows = keys.map((k, i) => {
      const start = parallel ? 0 : i * 60;
      const t = (s: number) => new Date(Date.UTC(2025, 0, 1) + s * 1000).toISOString();
      return `${name}${i},${k},succeeded,${t(start)},${t(start + 60)},${10 + i},${tokens}`;
    });
    fs.writeFileSync(path.join(dir, `${name}.csv`), `run_id,trial_key,status,started,ended,loss,tokens\n${rows.join('\n')}\n`);
  };
  csv('seq', ['k1', 'k2', 'k3', 'k4'], false, 100);
  csv('other', ['k5', 'k6', 'k7', 'k8'], true, 100);
  csv('sub', ['k1', 'k2'], true, 400);
  const unrelated = run(['compare', 'seq.csv', 'other.csv', '--metric', 'loss'], dir);
  assert.equal(unrelated.code, 0, unrelated.err);
  assert.match(unrelated.out, /^other: no speedup against seq: they ran different trials \(4 and 4, 0 in common\) — compare campaigns of the same trials, or per unit of work with --work METRIC$/m);
  assert.doesNotMatch(unrelated.out, /faster than/);
  const subset = run(['compare', 'seq.csv', 'sub.csv', '--metric', 'loss', '--json'], dir);
  const row = (JSON.parse(subset.out) as { rows: Array<{ key: string; speedup?: { speedup: number; perTrial: boolean } }> }).rows.find((r) => r.key === 'sub')!;
  assert.deepEqual([row.speedup?.speedup, row.speedup?.perTrial], [2, true], '240 s for 4 trials against 60 s for 2: 2× per trial');
  // Per token: seq did 400 tokens in 240 s, other 400 in 60 s → 4×, whatever the trials.
  const work = run(['compare', 'seq.csv', 'other.csv', '--metric', 'loss', '--work', 'tokens'], dir);
  assert.equal(work.code, 0, work.err);
  assert.match(work.out, /^other: 4\.00× faster than seq per unit of tokens \(wall time per unit; 400 against 400\) with 4 at once \(efficiency 100%/m);
  const missing = run(['compare', 'seq.csv', 'other.csv', '--metric', 'loss', '--work', 'tokns'], dir);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^expctl: --work tokns: no run of seq reports it — did you mean tokens\?/);
});
