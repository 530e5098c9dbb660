// The two analysis examples (issue 12, item 8) run end to end through the bundled CLI, on real
// processes: examples/llm-energy (accelerate launch with an OOM retried at half the batch, energy
// from the GPUs' counters, tokens per joule derived and ranked) and examples/load-test (concurrency ×
// input size against two schedulers, success rate and throughput, p95 latency pooled per cell, a
// paired comparison). No GPU here: an `accelerate` stand-in that runs the script
// (test/fixtures/accelerate-exec) and a clock-driven nvidia-smi (test/fixtures/nvidia-smi-clock).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunRecord } from '../../core/src/store/store';

const CLI = path.resolve('dist/cli.js');
const STAND_INS = [path.resolve('test/fixtures/accelerate-exec'), path.resolve('test/fixtures/nvidia-smi-clock')].join(':');

function copyExample(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `expctl-example-${name}-`));
  fs.cpSync(path.resolve('examples', name), dir, { recursive: true });
  return dir;
}

const cli = (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const runsOf = (dir: string): RunRecord[] => fs.readdirSync(path.join(dir, '.expctl', 'runs')).filter((d) => !d.startsWith('.'))
  .map((id) => JSON.parse(fs.readFileSync(path.join(dir, '.expctl', 'runs', id, 'run.json'), 'utf8')) as RunRecord);

test('examples/llm-energy: 12 trials through accelerate, OOMs retried at half the batch, tokens per joule derived and ranked', { timeout: 180_000 }, () => {
  const dir = copyExample('llm-energy');
  const env = { PATH: `${STAND_INS}:${process.env.PATH}`, FAKE_NVIDIA_SMI_GPUS: '2', FAKE_NVIDIA_SMI_WATTS: '300' };
  const run = cli(dir, ['run', 'grid.sweep.yaml'], env);
  assert.equal(run.code, 0, run.out + run.err);
  const runs = runsOf(dir);
  assert.equal(runs.length, 12);
  for (const r of runs) {
    assert.equal(r.status, 'succeeded', r.id);
    const s = r.summary;
    // The GPU drew 300 W: energy_wh is the run's GPU time at 300 W, and the derived figures follow from it.
    assert.ok(r.telemetry?.energy_wh && r.telemetry.energy_wh > 0, `${r.id}: energy from the GPUs' counters`);
    const tokens = s.tokens.last as number;
    assert.ok(Math.abs((s.tokens_per_joule.last as number) - tokens / (r.telemetry.energy_wh * 3600)) < 1e-9, r.id);
    assert.ok(Math.abs((s.joules_per_token.last as number) * (s.tokens_per_joule.last as number) - 1) < 1e-9, r.id);
  }
  const ooms = runs.filter((r) => r.attempts.length > 1);
  assert.deepEqual(ooms.map((r) => r.trial.name).sort(), ['llama-13b-bf16-b32', 'llama-13b-fp16-b32']);
  for (const r of ooms) {
    assert.equal(r.attempts[0].failure_class, 'oom');
    assert.equal(r.attempts[1].waited_s, 2, 'backoff 2 s before the first retry');
    assert.deepEqual(r.effective_params, { ...r.params, 'params.batch_size': 16 });
  }
  const failed = fs.readFileSync(path.join(dir, '.expctl', 'failed_runs.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(failed.length, 3, 'failed_runs.csv: a header and the two OOM attempts');
  const cmp = cli(dir, ['compare', 'grid.sweep.yaml', '--group-by', 'params.model', '--json']);
  assert.equal(cmp.code, 0, cmp.err);
  const ranked = (JSON.parse(cmp.out) as { metric: string; rows: Array<{ key: string }> });
  assert.equal(ranked.metric, 'tokens_per_joule', 'the derived primary metric ranks');
  assert.deepEqual(ranked.rows.map((r) => r.key), ['llama-1b', 'llama-7b', 'llama-13b']);
});

test('examples/load-test: 54 trials of concurrency × input size × scheduler, success rate derived, both modes', { timeout: 180_000 }, () => {
  const dir = copyExample('load-test');
  for (const sweep of ['standard.sweep.yaml', 'scale.sweep.yaml']) {
    const run = cli(dir, ['run', sweep]);
    assert.equal(run.code, 0, sweep + run.out + run.err);
  }
  const runs = runsOf(dir);
  assert.equal(runs.length, 54 + 27);
  const cell = (mode: string, scheduler: string, c: number, i: number) => runs.find((r) => r.experiment === `load-${mode}` &&
    (mode === 'scale' || r.params['params.scheduler'] === scheduler) && r.params['params.concurrency'] === c && r.params['params.input_size'] === i)!;
  const light = cell('standard', 'ours', 1, 128).summary;
  assert.equal(light.success_rate.last, 1);
  assert.equal(light.latency_ms.count, 200, 'one latency report per request');
  const heavy = cell('standard', 'baseline', 256, 8192);
  assert.equal(heavy.summary.success_rate.last, 0, 'every request timed out');
  assert.match(heavy.warnings?.join('\n') ?? '', /never reported its primary metric "avg_ms"/);
  assert.ok((cell('scale', 'ours', 256, 1024).summary.success_rate.last as number) > (cell('standard', 'ours', 256, 1024).summary.success_rate.last as number),
    'scaling out keeps more requests under the timeout');

  // Unpaired, the schedulers look alike (the cells' spread swamps the difference); paired by cell, ours wins every cell.
  const unpaired = cli(dir, ['compare', 'standard.sweep.yaml', '--group-by', 'params.scheduler', '--metric', 'avg_ms', '--json']);
  assert.equal(unpaired.code, 0, unpaired.err);
  const welch = (JSON.parse(unpaired.out) as { rows: Array<{ vsBest?: { welchP?: number } }> }).rows[1].vsBest?.welchP;
  assert.ok(welch !== undefined && welch > 0.5, `Welch p = ${welch}`);
  const paired = cli(dir, ['compare', 'standard.sweep.yaml', '--group-by', 'params.scheduler', '--paired-by', 'params.concurrency,params.input_size', '--metric', 'avg_ms']);
  assert.equal(paired.code, 0, paired.err);
  assert.match(paired.out, /baseline lower than ours in 0 of 26 paired cells \(params\.concurrency, params\.input_size\), tied in 0, higher in 26; .* Wilcoxon signed-rank p = \d\.\de-8 \(exact\)/);
  assert.match(paired.err, /1 paired cell without a value on one side left out/);
  // Per-request latency pooled over each cell's runs: p95 per concurrency.
  const p95 = cli(dir, ['stats', 'standard.sweep.yaml', '--metric', 'latency_ms', '--reduce', 'all', '--percentiles', '95', '--group-by', 'params.concurrency', '--json']);
  assert.equal(p95.code, 0, p95.err);
  const groups = (JSON.parse(p95.out) as { groups: Array<{ key: string; summary: { n: number } }> }).groups;
  assert.equal(groups.find((g) => g.key === '1')?.summary.n, 1200, '200 requests × 3 input sizes × 2 schedulers');

  // The chart kinds, as PNGs: a heatmap of the two grid keys, bars with CIs, a scatter over a param, each run's line.
  const png = (f: string) => fs.readFileSync(path.join(dir, f)).subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const charts: Array<[string, string[]]> = [
    ['heat.png', ['--metric', 'avg_ms', '--group-by', 'params.concurrency,params.input_size', '--chart-type', 'heatmap']],
    ['bar.png', ['--metric', 'success_rate', '--group-by', 'params.concurrency', '--chart-type', 'bar']],
    ['scatter.png', ['--metric', 'avg_ms', '--group-by', 'params.scheduler', '--chart-type', 'scatter', '--x', 'params.concurrency']],
    ['line.png', ['--metric', 'latency_ms', '--group-by', 'params.input_size', '--chart-type', 'line']],
  ];
  for (const [file, args] of charts) {
    const r = cli(dir, ['stats', 'standard.sweep.yaml', ...args, '--chart', file]);
    assert.equal(r.code, 0, `${file}: ${r.err}`);
    assert.ok(png(file), file);
  }
  const noX = cli(dir, ['stats', 'standard.sweep.yaml', '--metric', 'avg_ms', '--chart', 'x.png', '--chart-type', 'scatter']);
  assert.equal(noX.code, 2);
  assert.match(noX.err, /^expctl: --chart-type scatter needs --x KEY/);
  const oneKey = cli(dir, ['stats', 'standard.sweep.yaml', '--metric', 'avg_ms', '--group-by', 'params.scheduler', '--chart', 'h.png', '--chart-type', 'heatmap']);
  assert.equal(oneKey.code, 1);
  assert.match(oneKey.err, /expctl: --chart-type heatmap: a heatmap needs two grouping keys/);
});
