// The runner's pure parts: argv/env construction, failure classes, retry decisions and backoff,
// the metrics line protocol.
import { describe, it, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildLaunch, gpusRequested } from '../../core/src/runner/launch';
import type { RunContext } from '../../core/src/runner/launch';
import { backoffSeconds, classify, retryable } from '../../core/src/runner/failure';
import type { AttemptOutcome } from '../../core/src/runner/failure';
import { LineSplitter, MetricSummarizer, parseJsonRecord, parseStdoutLine } from '../../core/src/runner/metrics';
import type { Experiment } from '../../core/src/config/types';
import * as path from 'node:path';
import { resolveTarget } from '../../core/src/targets';
import { parseGpuSamples, parseProcStat, TelemetryAccumulator } from '../../core/src/runner/telemetry';

const ctx = (over: Partial<RunContext> = {}): RunContext => ({
  file: '/w/exp/train.experiment.yaml', runId: 'r1', runDir: '/w/.expctl/runs/r1', trialName: 't0', index: 0, repeat: 0,
  attempt: 1, paramsFile: '/w/.expctl/runs/r1/params.json', metricsFile: '/w/.expctl/runs/r1/metrics.jsonl',
  baseEnv: { PATH: '/usr/bin', HOME: '/root' }, ...over,
});
const exp = (over: Partial<Experiment> = {}): Experiment => ({ name: 'e', command: ['python', 'train.py', '--bs', '{params.batch_size}'], params: { batch_size: 64 }, ...over });

test('plain argv with placeholders; never a shell', () => {
  const l = buildLaunch(exp(), ctx());
  assert.deepEqual(l.argv, ['python', 'train.py', '--bs', '64']);
  assert.equal(l.cwd, '/w/exp');
});

test('run variables, env.X and literal braces', () => {
  const l = buildLaunch(exp({ command: ['x', '{run_id}', '{trial}', '{repeat}', '{attempt}', '{env.HOME}', '{{lit}}', '${HOME}'] }), ctx({ attempt: 2 }));
  assert.deepEqual(l.argv, ['x', 'r1', 't0', '0', '2', '/root', '{lit}', '${HOME}']);
});

test('shell: true runs through /bin/sh -c with placeholders substituted', () => {
  const l = buildLaunch(exp({ command: 'python train.py --bs {params.batch_size} | tee log', shell: true }), ctx());
  assert.deepEqual(l.argv, ['/bin/sh', '-c', 'python train.py --bs 64 | tee log']);
});

test('workdir is relative to the experiment file', () => {
  assert.equal(buildLaunch(exp({ workdir: '../src' }), ctx()).cwd, '/w/src');
  assert.equal(buildLaunch(exp({ workdir: '/abs' }), ctx()).cwd, '/abs');
});

test('environment: base, config env (rendered), EXPCTL_* and CUDA_VISIBLE_DEVICES', () => {
  const l = buildLaunch(exp({ env: { NCCL_TIMEOUT: '3600', OUT: '{run_dir}/out' } }), ctx({ gpus: [2, 3] }));
  assert.equal(l.env.PATH, '/usr/bin');
  assert.equal(l.env.NCCL_TIMEOUT, '3600');
  assert.equal(l.env.OUT, '/w/.expctl/runs/r1/out');
  assert.equal(l.env.EXPCTL_RUN_ID, 'r1');
  assert.equal(l.env.EXPCTL_PARAMS_FILE, '/w/.expctl/runs/r1/params.json');
  assert.equal(l.env.EXPCTL_METRICS_FILE, '/w/.expctl/runs/r1/metrics.jsonl');
  assert.equal(l.env.EXPCTL_TRIAL, 't0');
  assert.equal(l.env.EXPCTL_REPEAT, '0');
  assert.equal(l.env.CUDA_VISIBLE_DEVICES, '2,3');
  assert.equal(buildLaunch(exp(), ctx({ gpus: [] })).env.CUDA_VISIBLE_DEVICES, '', 'CPU-only run hides GPUs');
  assert.equal(buildLaunch(exp(), ctx()).env.CUDA_VISIBLE_DEVICES, undefined, 'no inventory: untouched');
});

test('accelerate launch: options from the launcher, the interpreter dropped', () => {
  const cfg = exp({ launcher: { type: 'accelerate', num_processes: 3, mixed_precision: 'fp16', main_process_port: 29500 }, resources: { gpus: 3 } });
  assert.deepEqual(buildLaunch(cfg, ctx({ gpus: [0, 1, 2] })).argv,
    ['accelerate', 'launch', '--num_processes', '3', '--mixed_precision', 'fp16', '--main_process_port', '29500', '--multi_gpu', 'train.py', '--bs', '64']);
  const ids = exp({ launcher: { type: 'accelerate', gpu_ids: [0, 1], args: ['--config_file', 'a.yaml'] } });
  assert.deepEqual(buildLaunch(ids, ctx({ gpus: [0, 1] })).argv,
    ['accelerate', 'launch', '--num_processes', '2', '--gpu_ids', '0,1', '--multi_gpu', '--config_file', 'a.yaml', 'train.py', '--bs', '64']);
});

test('torchrun: nproc defaults to the GPUs given', () => {
  const cfg = exp({ launcher: { type: 'torchrun', nnodes: 1, master_port: 29600 } });
  assert.deepEqual(buildLaunch(cfg, ctx({ gpus: [4, 5] })).argv,
    ['torchrun', '--nproc-per-node', '2', '--nnodes', '1', '--master-port', '29600', 'train.py', '--bs', '64']);
});

test('gpusRequested: a count or TYPE:N', () => {
  assert.equal(gpusRequested(exp({ resources: { gpus: 'H100:3' } })), 3);
  assert.equal(gpusRequested(exp({ resources: { gpus: 2 } })), 2);
  assert.equal(gpusRequested(exp()), 0);
});

const out = (o: Partial<AttemptOutcome>): AttemptOutcome => ({ exitCode: 0, signal: null, timedOut: false, cancelled: false, stderrTail: '', program: 'python', ...o });

test('failure classes', () => {
  assert.equal(classify(out({})), undefined);
  assert.deepEqual(classify(out({ exitCode: 3 })), { class: 'exit:3', message: 'exited with code 3' });
  assert.equal(classify(out({ exitCode: 1, stderrTail: 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate' }))?.class, 'oom');
  assert.equal(classify(out({ exitCode: 137 }))?.class, 'oom');
  assert.equal(classify(out({ exitCode: null, signal: 'SIGKILL' }))?.class, 'oom');
  assert.deepEqual(classify(out({ exitCode: null, signal: 'SIGSEGV' })), { class: 'signal', message: 'killed by SIGSEGV' });
  assert.equal(classify(out({ exitCode: null, signal: 'SIGTERM', timedOut: true }))?.class, 'timeout');
  assert.equal(classify(out({ exitCode: null, signal: 'SIGTERM', cancelled: true }))?.class, 'cancelled');
  const enoent = Object.assign(new Error('spawn python4 ENOENT'), { code: 'ENOENT' });
  assert.deepEqual(classify(out({ exitCode: null, spawnError: enoent, program: 'python4' })),
    { class: 'spawn_error', message: 'cannot start "python4": no such program or file (is it installed and on PATH, or is workdir wrong?)' });
  const eacces = Object.assign(new Error('spawn EACCES'), { code: 'EACCES' });
  assert.match(classify(out({ exitCode: null, spawnError: eacces, program: './run.sh' }))!.message, /chmod \+x \.\/run\.sh/);
});

test('retry decisions follow retry.on; cancelled and spawn errors never retry', () => {
  assert.equal(retryable('exit:1', undefined), true);
  assert.equal(retryable('exit:1', ['nonzero']), true);
  assert.equal(retryable('oom', ['nonzero']), false);
  assert.equal(retryable('oom', ['oom']), true);
  assert.equal(retryable('exit:3', [3]), true);
  assert.equal(retryable('exit:4', [3]), false);
  assert.equal(retryable('signal', ['signal']), true);
  assert.equal(retryable('cancelled', undefined), false);
  assert.equal(retryable('spawn_error', undefined), false);
});

test('backoff: base ** (n-1) before retry n, capped, with jitter', () => {
  const r = { backoff_base_s: 2, max_backoff_s: 5 };
  assert.deepEqual([2, 3, 4, 5].map((a) => backoffSeconds(r, a)), [1, 2, 4, 5]);
  assert.equal(backoffSeconds({ ...r, jitter: true }, 4, () => 0.5), 6);
  assert.equal(backoffSeconds({ ...r, jitter: 0.1 }, 4, () => 1), 4.4);
  assert.equal(backoffSeconds(undefined, 2), 1);
});

test('metrics protocol: stdout marker lines and JSON lines', () => {
  assert.equal(parseStdoutLine('epoch 1 done'), undefined);
  assert.deepEqual(parseStdoutLine('@expctl {"step": 10, "loss": 0.31}'), { record: { step: 10, loss: 0.31 } });
  assert.deepEqual(parseStdoutLine('[rank0]: @expctl {"loss": 1}'), { record: { loss: 1 } }, 'rank prefixes allowed');
  assert.match(parseStdoutLine('@expctl {loss: 1}')!.error!, /^not JSON/);
  assert.deepEqual(parseJsonRecord('[1,2]'), { error: 'expected a JSON object like {"loss": 0.31}, found an array' });
});

test('summaries: last, min, max, mean of every numeric field', () => {
  const s = new MetricSummarizer();
  for (const loss of [3, 1, 2]) s.add({ loss, note: 'x' });
  s.add({ loss: Number.NaN });
  assert.deepEqual(s.summary, { loss: { last: 2, min: 1, max: 3, mean: 2, count: 3 } });
});

test('line splitting across chunks, CRLF tolerated', () => {
  const sp = new LineSplitter();
  assert.deepEqual(sp.push('a\nb'), ['a']);
  assert.deepEqual(sp.push('c\r\nd'), ['bc']);
  assert.equal(sp.flush(), 'd');
  assert.equal(sp.flush(), undefined);
});

describe('resolveTarget', () => {
  const targets = { default: 'box', targets: { box: { type: 'local' as const, gpus: [0, 1], max_parallel: 3 }, gke: { type: 'kubernetes' as const, namespace: 'ml' } } };
  it('takes the flag, else targets.yaml default, else local', () => {
    assert.equal(resolveTarget('local', targets).name, 'local');
    assert.equal(resolveTarget(undefined, targets).name, 'box');
    assert.equal(resolveTarget(undefined, undefined).name, 'local');
  });
  it("uses a local target's GPU override and max_parallel", async () => {
    const t = resolveTarget('box', targets);
    assert.deepEqual(await t.inventory(), [0, 1]);
    assert.equal(t.maxParallel, 3);
  });
  it('names unknown targets with a suggestion', () => {
    assert.throws(() => resolveTarget('bx', targets, path.resolve('targets.yaml')), /unknown target 'bx' \(targets.yaml defines: box, gke\) — did you mean 'box'\?/);
  });
  it('gives a Kubernetes target, its kubeconfig resolved from targets.yaml\'s folder (no cluster contacted)', async () => {
    const t = resolveTarget('gke', { targets: { gke: { type: 'kubernetes', kubeconfig: './kc.yaml' } } }, '/w/conf/targets.yaml') as ReturnType<typeof resolveTarget> & { config: unknown };
    assert.equal(t.kind, 'kubernetes');
    assert.equal(t.name, 'gke');
    assert.equal(await t.inventory(), undefined, 'the cluster places GPUs');
    assert.throws(() => (t as unknown as { kube(): unknown }).kube(), /kubeconfig \/w\/conf\/kc\.yaml does not exist/);
  });
});

describe('telemetry', () => {
  it('parses nvidia-smi samples, [N/A] power included', () => {
    assert.deepEqual(parseGpuSamples('0, 98, 1, 76.41\n1, 100, 38742, [N/A]\n\n'), [
      { index: 0, util: 98, memMb: 1, powerW: 76.41 }, { index: 1, util: 100, memMb: 38742, powerW: undefined }]);
  });
  it('parses /proc/<pid>/stat when the command name holds spaces and parentheses', () => {
    const line = '4242 (my (odd) prog) S 1 4240 4240 0 -1 4194304 1 0 0 0 150 50 7 3 20 0 1 0 100 123456789 2560 18446744073709551615';
    assert.deepEqual(parseProcStat(line), { pid: 4242, ppid: 1, pgrp: 4240, cpuTicks: 210, rssPages: 2560 });
    assert.equal(parseProcStat('garbage'), undefined);
  });
  it('integrates power over time (trapezoid) and keeps peaks; a new attempt starts a new interval', () => {
    const acc = new TelemetryAccumulator();
    const gpu = (w: number, util = 50) => [{ index: 0, util, memMb: 1000, powerW: w }];
    acc.begin(0, true);
    acc.add(0, { cpuS: 0, rssBytes: 100 * 2 ** 20, procs: 2 }, gpu(100));
    const r = acc.add(3_600_000, { cpuS: 1800, rssBytes: 300 * 2 ** 20, procs: 3 }, gpu(300, 90)); // 1 h: (100+300)/2 W
    assert.deepEqual(r, { t: new Date(3_600_000).toISOString(), rss_mb: 300, procs: 3, cpu_pct: 50, gpus: [{ index: 0, util: 90, mem_mb: 1000, power_w: 300 }] });
    acc.end(3_600_000);
    acc.begin(7_200_000, true);
    acc.add(7_200_000, undefined, gpu(1000)); // the next attempt: no energy for the hour in between
    acc.end(7_200_000);
    assert.deepEqual(acc.summary(), { samples: 3, cpu_pct_peak: 50, cpu_pct_mean: 50, rss_mb_peak: 300, gpu_util_mean: 63.3, gpu_util_peak: 90, gpu_mem_mb_peak: 1000, power_w_peak: 1000,
      energy_wh: 200, energy_method: 'power_samples', energy_coverage: 1 });
  });
});
