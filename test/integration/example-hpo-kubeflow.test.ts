// examples/hpo-kubeflow end to end, as a user runs it: run-on-test-cluster.sh on the suite's
// Kubernetes cluster (EXPCTL_TEST_K8S_ENV) — the 18-configuration grid one at a time on this
// machine, then as 18 Jobs at once on the cluster (kwok's fake nodes; each pod's log is train.py's
// output for the pod's own arguments), then `expctl compare` for the speedup and parallel efficiency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { testCluster } from '../helpers/k8s';

const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(ROOT, 'examples/hpo-kubeflow');
const CLI = path.join(ROOT, 'dist/cli.js');

function script(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn('bash', [path.join(EXAMPLE, 'run-on-test-cluster.sh')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b; });
  child.stderr.on('data', (b: Buffer) => { out += b; });
  // SIGTERM reaches its traps: the stand-in deletes its namespace and nodes.
  const timer = setTimeout(() => child.kill('SIGTERM'), 150_000);
  return new Promise((resolve) => child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); }));
}

const expctl = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: EXAMPLE, encoding: 'utf8' });
const valLoss = (r: RunRecord) => (r.summary.val_loss as { last: number }).last;
const best = (runs: RunRecord[]) => runs.reduce((a, b) => (valLoss(b) < valLoss(a) ? b : a)).trial.name;

test('examples/hpo-kubeflow: 18 trials sequentially here and 18 Jobs at once on the cluster agree on the best config; compare shows speedup > 1 and efficiency in (0, 1]', async () => {
  const cluster = await testCluster();
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-hpo-store-'));
  const r = await script({ EXPCTL_TEST_K8S_ENV: path.join(cluster.stateDir, 'env'), EXPCTL_STORE: store });
  assert.equal(r.code, 0, r.out);

  const runs = new FileStore(store).all();
  const local = runs.filter((x) => x.sweep_id.startsWith('hpo-local-'));
  const onCluster = runs.filter((x) => x.sweep_id.startsWith('hpo-cluster-'));
  assert.equal(local.length, 18, r.out);
  assert.equal(onCluster.length, 18, r.out);
  for (const x of [...local, ...onCluster]) assert.equal(x.status, 'succeeded', `${x.id}: ${x.status}\n${r.out}`);
  assert.ok(local.every((x) => x.attempts.every((a) => !a.k8s)), 'the local sweep ran here');
  assert.ok(onCluster.every((x) => x.attempts[0].k8s?.kind === 'Job' && x.attempts[0].k8s.namespace === 'hpo-kubeflow' && x.attempts[0].k8s.phase === 'Succeeded'), 'the cluster sweep ran as Jobs');
  assert.equal(new Set(onCluster.map((x) => x.attempts[0].k8s?.node)).size > 1, true, 'spread over the fake nodes');
  // Every configuration reports the same val_loss on both sides, so both pick the same best.
  const localLoss = new Map(local.map((x) => [x.trial.name, valLoss(x)]));
  for (const x of onCluster) assert.equal(valLoss(x), localLoss.get(x.trial.name), x.trial.name);
  assert.equal(best(local), 'lr0.0005_h256_l3');
  assert.equal(best(onCluster), best(local));
  for (const sweep of ['hpo-local', 'hpo-cluster']) {
    assert.match(r.out, new RegExp(`^${sweep} [^\\n]*\\n[^\\n]*\\n  best val_loss \\(minimize\\): 0\\.06 — lr0\\.0005_h256_l3 `, 'm'), `expctl status names the best of ${sweep}`);
  }

  // compare's own words, and its numbers.
  const line = /^hpo-cluster: ([\d.]+)× faster than hpo-local with 18 at once \(efficiency (\d+)%/m.exec(r.out);
  assert.ok(line, r.out);
  assert.ok(Number(line[1]) > 1, line[0]);
  const json = expctl(['compare', 'local.sweep.yaml', 'grid.sweep.yaml', '--metric', 'val_loss', '--store', store, '--json']);
  assert.equal(json.status, 0, json.stderr);
  const s = (JSON.parse(json.stdout) as { rows: Array<{ key: string; speedup?: { speedup: number; efficiency: number; workers: number; baseline: string; perTrial: boolean } }> })
    .rows.find((x) => x.key === 'hpo-cluster')!.speedup!;
  assert.deepEqual([s.baseline, s.workers, s.perTrial], ['hpo-local', 18, false]);
  assert.ok(s.speedup > 1, String(s.speedup));
  assert.ok(s.efficiency > 0 && s.efficiency <= 1, String(s.efficiency));
  assert.equal(s.efficiency, s.speedup / 18);

  // A user who ran only 6 configurations locally: wall time is compared per trial, and compare says so.
  const six = [...local].sort((a, b) => Date.parse(a.started!) - Date.parse(b.started!)).slice(0, 6);
  const wall = (rs: RunRecord[]) => (Math.max(...rs.map((x) => Date.parse(x.ended!))) - Math.min(...rs.map((x) => Date.parse(x.started!)))) / 1000;
  const sub = expctl(['compare', ...six.map((x) => x.id), 'grid.sweep.yaml', '--metric', 'val_loss', '--store', store]);
  assert.equal(sub.status, 0, sub.stderr);
  const m = /^hpo-cluster: ([\d.]+)× faster than 6 runs per unit of work \(wall time per trial; 18 trials against 6\) with 18 at once/m.exec(sub.stdout);
  assert.ok(m, sub.stdout);
  assert.equal(m[1], ((wall(six) / 6) / (wall(onCluster) / 18)).toFixed(2));
  fs.rmSync(store, { recursive: true, force: true }); // kept when the test fails, to look into
});
