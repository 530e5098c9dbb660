// GPUs stay exclusive and rendezvous ports distinct under accelerate and torchrun, with real
// processes: fake launchers on PATH (no GPU here) that take their GPUs by creating a file per GPU
// exclusively and bind their rendezvous port — so a shared GPU or port makes an attempt fail, as
// on real hardware — and record what they were given.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planFile, runPlan } from '../../core/src/runner/runner';
import { FileStore } from '../../core/src/store/store';
import { diskHost } from '../../core/src/util/disk-host';

interface Launch { tool: string; argv: string[]; port: number; gpus: string[]; start: number; end: number; env: Record<string, string | undefined> }

async function runWithFakes(files: Record<string, string>, file: string, gpus: number[]): Promise<{ launches: Launch[]; statuses: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-launch-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  fs.mkdirSync(path.join(dir, 'gpus'));
  const saved = { ...process.env };
  Object.assign(process.env, {
    PATH: `${path.resolve(__dirname, '../fixtures/launchers')}:${process.env.PATH}`,
    FAKE_GPU_DIR: path.join(dir, 'gpus'), FAKE_LAUNCH_LOG: path.join(dir, 'launches.jsonl'), FAKE_LAUNCH_MS: '400',
  });
  try {
    const { plan, diagnostics } = planFile(path.join(dir, file), diskHost);
    assert.ok(plan, JSON.stringify(diagnostics));
    const summary = await runPlan(plan, { store: new FileStore(path.join(dir, '.expctl')), gpus, graceS: 1 });
    const failures = summary.runs.filter((r) => r.status !== 'succeeded').map((r) => `${r.trial.name}: ${r.attempts.at(-1)?.message} ${r.attempts.at(-1)?.stderr_tail}`);
    assert.deepEqual(failures, []);
    const launches = fs.readFileSync(path.join(dir, 'launches.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Launch);
    return { launches, statuses: summary.runs.map((r) => r.status) };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const overlap = (a: Launch, b: Launch) => a.start < b.end && b.start < a.end;

test('4 parallel 2-GPU accelerate trials on 8 GPUs: disjoint GPUs in PCI order, distinct free ports, never overlapping on a GPU', async () => {
  const { launches } = await runWithFakes({
    'train.py': 'print("hi")\n',
    'e.experiment.yaml': 'name: e\ncommand: [python, train.py, --seed, "{params.seed}"]\nlauncher: { type: accelerate, num_processes: 2, mixed_precision: fp16 }\nresources: { gpus: 2 }\nparams: { seed: 0 }\n',
    's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.seed: { values: [1, 2, 3, 4, 5, 6, 7, 8] }\nmax_parallel: 4\n',
  }, 's.sweep.yaml', [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(launches.length, 8);
  for (const l of launches) {
    assert.equal(l.tool, 'accelerate');
    assert.equal(l.gpus.length, 2, `each trial gets its own 2 GPUs: ${JSON.stringify(l)}`);
    assert.equal(l.env.CUDA_DEVICE_ORDER, 'PCI_BUS_ID');
    assert.ok(!l.argv.includes('--gpu_ids'), 'unpinned: accelerate sees the reserved GPUs through CUDA_VISIBLE_DEVICES');
    const port = Number(l.argv[l.argv.indexOf('--main_process_port') + 1]);
    assert.ok(port > 1024 && port !== 29500, `a free port picked per attempt, got ${port}`);
    assert.deepEqual(l.argv.slice(-3), ['train.py', '--seed', l.argv.at(-1)!]);
  }
  let concurrent = 0;
  for (let i = 0; i < launches.length; i++) {
    for (let j = i + 1; j < launches.length; j++) {
      if (!overlap(launches[i], launches[j])) continue;
      concurrent++;
      assert.deepEqual(launches[i].gpus.filter((g) => launches[j].gpus.includes(g)), [], 'trials running together share no GPU');
      assert.notEqual(launches[i].port, launches[j].port, 'trials running together have distinct ports');
    }
  }
  assert.ok(concurrent >= 3, `trials did run in parallel (${concurrent} overlapping pairs)`);
});

test('pinned gpu_ids are a request for exactly those GPUs: such trials wait for each other, and accelerate gets the same ids', async () => {
  const { launches } = await runWithFakes({
    'train.py': '',
    'e.experiment.yaml': 'name: e\ncommand: [python, train.py]\nlauncher: { type: accelerate, num_processes: 2, gpu_ids: "2,3" }\nparams: { seed: 0 }\n',
    's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.seed: { values: [1, 2, 3] }\nmax_parallel: 3\n',
  }, 's.sweep.yaml', [0, 1, 2, 3]);
  assert.equal(launches.length, 3);
  for (const l of launches) {
    assert.deepEqual(l.gpus, ['2', '3']);
    assert.equal(l.env.CUDA_VISIBLE_DEVICES, '2,3');
    assert.equal(l.argv[l.argv.indexOf('--gpu_ids') + 1], '2,3');
  }
  for (let i = 1; i < launches.length; i++) for (let j = 0; j < i; j++) assert.ok(!overlap(launches[i], launches[j]), 'one at a time on the pinned GPUs');
});

test('torchrun: a free --master-port per attempt; {port} in rdzv_endpoint and env; launcher.args rendered', async () => {
  const { launches } = await runWithFakes({
    'train.py': '',
    'a.experiment.yaml': 'name: a\ncommand: [python, train.py]\nlauncher: { type: torchrun, nproc_per_node: 2, args: [--log-dir, "{run_dir}/tr"] }\nresources: { gpus: 2 }\n',
    'b.experiment.yaml': 'name: b\ncommand: [python, train.py]\nlauncher: { type: torchrun, nproc_per_node: 2, rdzv_backend: c10d, rdzv_endpoint: "localhost:{port}" }\nenv: { MASTER_PORT: "{port}" }\nresources: { gpus: 2 }\n',
  }, 'a.experiment.yaml', [0, 1]);
  const [a] = launches;
  const port = Number(a.argv[a.argv.indexOf('--master-port') + 1]);
  assert.ok(port > 1024 && port !== 29500);
  const logDir = a.argv[a.argv.indexOf('--log-dir') + 1];
  assert.ok(logDir.endsWith(`${a.env.EXPCTL_RUN_ID}/tr`), `launcher.args rendered: ${logDir}`);
  const { launches: [b] } = await runWithFakes({
    'train.py': '',
    'b.experiment.yaml': 'name: b\ncommand: [python, train.py]\nlauncher: { type: torchrun, nproc_per_node: 2, rdzv_backend: c10d, rdzv_endpoint: "localhost:{port}" }\nenv: { MASTER_PORT: "{port}" }\nresources: { gpus: 2 }\n',
  }, 'b.experiment.yaml', [0, 1]);
  assert.ok(!b.argv.includes('--master-port'));
  const endpoint = b.argv[b.argv.indexOf('--rdzv-endpoint') + 1];
  assert.match(endpoint, /^localhost:\d+$/);
  assert.equal(endpoint.split(':')[1], b.env.MASTER_PORT);
});
