// Resume decisions (what runs again, and why), config hashes, sweep ids that do not depend on the
// file's path; launcher argv with pinned GPUs and picked ports; the rules that flag combinations
// that cannot be exclusive.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Experiment } from '../../core/src/config/types';
import { configHash, decide, DEFAULT_RERUN, parseRerun, sweepIdOf } from '../../core/src/runner/resume';
import { buildLaunch, needsPort, pinnedGpus } from '../../core/src/runner/launch';
import type { RunContext } from '../../core/src/runner/launch';
import { Scheduler } from '../../core/src/runner/scheduler';
import { PortPool } from '../../core/src/util/net';
import type { RunRecord } from '../../core/src/store/store';
import { validateText } from '../../core/src/validate';
import { memHost } from '../helpers/memfs';

const run = (over: Partial<RunRecord>): RunRecord => ({
  schema_version: 1, id: 'r1', sweep_id: 's', experiment: 'e', experiment_file: '/e', trial: { index: 0, key: 'k', name: 't', repeat: 0 },
  params: {}, target: 'local', status: 'succeeded', created: '2026-01-01T00:00:00Z', attempts: [], host: 'h', summary: {}, config_hash: 'h1', ...over,
});
const nobody = () => false;

test('decide: new, succeeded, changed, failed, unfinished, owned by a live runner', () => {
  assert.deepEqual(decide(undefined, 'h1', DEFAULT_RERUN, nobody).action, 'run');
  assert.equal(decide(run({}), 'h1', DEFAULT_RERUN, nobody).action, 'skip');
  const changed = decide(run({}), 'h2', DEFAULT_RERUN, nobody);
  assert.deepEqual([changed.action, changed.state], ['run', 'changed']);
  assert.match(changed.reason, /changed since run r1/);
  assert.deepEqual([decide(run({}), 'h2', parseRerun('none'), nobody).action], ['skip']);
  // Runs of older versions have no hash: never "changed", so an upgrade re-runs nothing.
  assert.equal(decide(run({ config_hash: undefined }), 'h2', DEFAULT_RERUN, nobody).action, 'skip');
  const failed = run({ status: 'failed' });
  assert.deepEqual([decide(failed, 'h1', DEFAULT_RERUN, nobody).action, decide(failed, 'h1', parseRerun('failed'), nobody).action], ['skip', 'run']);
  assert.equal(decide(failed, 'h2', DEFAULT_RERUN, nobody).action, 'run', 'a failed trial whose script was fixed runs again');
  assert.equal(decide(run({}), 'h1', parseRerun('all'), nobody).action, 'run');
  for (const status of ['interrupted', 'cancelled', 'running', 'queued'] as const) assert.equal(decide(run({ status }), 'h1', DEFAULT_RERUN, nobody).action, 'resume');
  assert.equal(decide(run({ status: 'running', runner_pid: 1 }), 'h1', DEFAULT_RERUN, () => true).action, 'skip');
  assert.throws(() => parseRerun('sometimes'), /changed, failed, all or none/);
  assert.throws(() => parseRerun('none,all'), /cannot be combined/);
});

test('configHash: follows what defines a run and the script it runs; not retries, timeouts or tags', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-hash-'));
  fs.writeFileSync(path.join(dir, 'train.py'), 'print(1)\n');
  const file = path.join(dir, 'e.experiment.yaml');
  const base: Experiment = { name: 'e', command: ['python', 'train.py', '--lr', '0.1'], params: { lr: 0.1 } };
  const h = configHash(base, file);
  assert.equal(configHash(structuredClone(base), file), h, 'stable');
  assert.equal(configHash({ ...base, retry: { max_retries: 3 }, timeout: '1h', tags: ['x'], description: 'd' }, file), h);
  assert.notEqual(configHash({ ...base, params: { lr: 0.2 } }, file), h);
  assert.notEqual(configHash({ ...base, env: { A: '1' } }, file), h);
  fs.writeFileSync(path.join(dir, 'train.py'), 'print(2)\n');
  assert.notEqual(configHash(base, file), h, 'the script changed');
});

test('sweep ids: the name (or experiment + swept keys), never the path', () => {
  const a = sweepIdOf('sweep', { name: 'grid' }, 'train');
  assert.equal(sweepIdOf('sweep', { name: 'grid' }, 'other'), a, 'a named sweep is its name');
  assert.match(a, /^grid-[0-9a-f]{8}$/);
  const unnamed = sweepIdOf('sweep', {}, 'train', ['params.lr', 'params.bs']);
  assert.equal(sweepIdOf('sweep', {}, 'train', ['params.bs', 'params.lr']), unnamed);
  assert.notEqual(sweepIdOf('sweep', {}, 'train', ['params.lr']), unnamed);
  assert.match(unnamed, /^train-sweep-/);
  assert.notEqual(sweepIdOf('experiment', { name: 'train' }, 'train'), sweepIdOf('sweep', { name: 'train' }, 'train'));
});

const ctx = (over: Partial<RunContext> = {}): RunContext => ({
  file: '/w/e.experiment.yaml', runId: 'r', runDir: '/s/r', trialName: 't', index: 0, repeat: 0, attempt: 1,
  paramsFile: '/s/r/params.json', metricsFile: '/s/r/m.jsonl', baseEnv: {}, ...over,
});

test('accelerate: reserved GPUs via CUDA_VISIBLE_DEVICES in PCI order, a picked port, pinned ids passed as reserved', () => {
  const cfg: Experiment = { name: 'e', command: ['python', 'train.py'], launcher: { type: 'accelerate', num_processes: 2, args: ['--log', '{run_dir}'] }, resources: { gpus: 2 } };
  assert.ok(needsPort(cfg));
  const l = buildLaunch(cfg, ctx({ gpus: [4, 5], port: 41234 }));
  assert.deepEqual(l.argv, ['accelerate', 'launch', '--num_processes', '2', '--main_process_port', '41234', '--multi_gpu', '--log', '/s/r', 'train.py']);
  assert.equal(l.env.CUDA_VISIBLE_DEVICES, '4,5');
  assert.equal(l.env.CUDA_DEVICE_ORDER, 'PCI_BUS_ID');
  const pinned: Experiment = { ...cfg, launcher: { type: 'accelerate', gpu_ids: '2,3', main_process_port: 29555 } };
  assert.deepEqual(pinnedGpus(pinned), [2, 3]);
  assert.equal(needsPort(pinned), false, 'a fixed port is used as is');
  const p = buildLaunch(pinned, ctx({ gpus: [2, 3] }));
  assert.deepEqual(p.argv.slice(p.argv.indexOf('--gpu_ids'), p.argv.indexOf('--gpu_ids') + 2), ['--gpu_ids', '2,3']);
  assert.ok(p.argv.includes('29555'));
  assert.equal(pinnedGpus({ ...cfg, launcher: { type: 'accelerate', gpu_ids: 'all' } }), undefined);
  assert.equal(needsPort({ name: 'e', command: ['x'] }), false);
  assert.equal(needsPort({ name: 'e', command: ['x', '--port={port}'] }), true);
});

test('scheduler: pinned GPUs are waited for exactly, in FIFO order; unknown ones refused', async () => {
  const s = new Scheduler(4, [0, 1, 2, 3]);
  const a = await s.acquire([2, 3]);
  assert.deepEqual(a, [2, 3]);
  let b: number[] | undefined;
  let c: number[] | undefined;
  void s.acquire([3]).then((g) => { b = g; });
  void s.acquire(1).then((g) => { c = g; });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([b, c], [undefined, undefined], 'the head waits for GPU 3, and the run behind it waits behind it (FIFO)');
  s.release(a);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([b, c], [[3], [0]]);
  assert.throws(() => s.acquire([7]), /pins GPU 7 \(launcher.gpu_ids\) but this machine's GPUs are 0,1,2,3/);
});

test('PortPool: distinct ports while held', async () => {
  const pool = new PortPool();
  const ports = await Promise.all(Array.from({ length: 20 }, () => pool.take()));
  assert.equal(new Set(ports).size, 20);
});

test('rules: pinned GPUs or a fixed port with max_parallel > 1; placeholders in launcher.args checked', () => {
  const host = memHost({
    '/w/e.experiment.yaml': 'name: e\ncommand: [python, train.py]\nlauncher: { type: accelerate, num_processes: 2, gpu_ids: "0,1", main_process_port: 29500, args: ["--x={run_dri}"] }\nresources: { gpus: 2 }\n',
    '/w/train.py': '',
  });
  const sweep = 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.seed: { values: [1, 2] }\nmax_parallel: 2\n';
  const v = validateText('/w/s.sweep.yaml', sweep, host);
  const msgs = v.diagnostics.filter((d) => d.rule === 'parallel-exclusive').map((d) => d.message);
  assert.equal(msgs.length, 2, JSON.stringify(v.diagnostics));
  assert.match(msgs[0], /pins GPUs 0,1 \(launcher.gpu_ids\), so trials run one at a time/);
  assert.match(msgs[1], /port 29500 \(launcher.main_process_port\).*address already in use.*auto/);
  const e = validateText('/w/e.experiment.yaml', host.readFile('/w/e.experiment.yaml')!, host);
  const tv = e.diagnostics.find((d) => d.rule === 'template-var');
  assert.match(tv?.message ?? '', /Unknown template variable \{run_dri\} in launcher.args\[0\]; did you mean \{run_dir\}/);
  const ok = validateText('/w/s.sweep.yaml', sweep.replace('max_parallel: 2', 'max_parallel: 1'), host);
  assert.deepEqual(ok.diagnostics.filter((d) => d.rule === 'parallel-exclusive'), []);
});
