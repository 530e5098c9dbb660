// The Kubernetes target end to end: the real CLI (dist/cli.js) against a real control plane
// (kube-apiserver, controller-manager, scheduler, etcd; kwok fakes the nodes and drives each pod by
// its sim.test/* annotations — scripts/k8s/pod-stages.yaml). Each test has its own namespace and
// fake 8-GPU node. No training operator runs: the PyTorchJob test plays it, patching .status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import { FileStore } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { clusterLogs, installPyTorchJobCrd, mergePatch, restartApiserver, sandbox, testCluster, until, writeLog } from '../helpers/k8s';
import type { Sandbox } from '../helpers/k8s';

const CLI = path.resolve(__dirname, '../../dist/cli.js');
const PYTORCHJOB = { group: 'kubeflow.org', version: 'v1', plural: 'pytorchjobs' };

/** A workspace whose `cluster` target is the sandbox; `experiment` is the experiment file's body after `name:`. */
function workspace(sb: Sandbox, files: Record<string, string>, target: Record<string, unknown> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-k8s-'));
  const t = { type: 'kubernetes', kubeconfig: sb.kubeconfig, namespace: sb.namespace, image: 'registry.example/trainer:1', node_selector: sb.nodeSelector, max_parallel: 8, ...target };
  fs.writeFileSync(path.join(dir, 'targets.yaml'), `default: cluster\ntargets:\n  cluster: ${JSON.stringify(t)}\n`);
  fs.writeFileSync(path.join(dir, 'train.py'), 'print("hi")\n');
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  return dir;
}

/** sim.test/* knobs as an experiment's kubernetes.annotations. */
const sim = (a: Record<string, string>) => `kubernetes: { annotations: ${JSON.stringify(Object.fromEntries(Object.entries(a).map(([k, v]) => [`sim.test/${k}`, v])))} }\n`;

function cli(dir: string, args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function cliAsync(dir: string, args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b; });
  child.stderr.on('data', (b: Buffer) => { out += b; });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exit, out: () => out };
}

const runs = (dir: string) => new FileStore(path.join(dir, '.expctl')).all();
const only = (dir: string): RunRecord => { const r = runs(dir); assert.equal(r.length, 1, JSON.stringify(r.map((x) => x.id))); return r[0]; };

async function jobsIn(namespace: string): Promise<K8s.V1Job[]> {
  const c = await testCluster();
  return (await c.batch.listNamespacedJob({ namespace })).items;
}

test('a Job succeeds: pod logs stream into stdout.log live, @expctl metrics are parsed, and the logs stay after the Job is gone', async (t) => {
  const sb = await sandbox(t);
  const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-k8s-log-')), 'pod.log');
  await clusterLogs(sb.namespace, log);
  writeLog(log, ['epoch 1', '@expctl {"step": 1, "val_loss": 0.9}']);
  const dir = workspace(sb, { 'e.experiment.yaml': `name: ok\ncommand: [python, train.py]\nresources: { gpus: 2, memory: 8Gi }\nmetrics: { primary: val_loss }\n${sim({ 'start-delay': '100ms', 'run-duration': '6s' })}` });
  const r = cliAsync(dir, ['run', 'e.experiment.yaml']);
  // Live: a line written while the pod runs reaches stdout.log before the run ends.
  const stdout = await until(async () => { const x = runs(dir)[0]; return x?.attempts[0]?.k8s?.phase === 'Running' && path.join(dir, '.expctl/runs', x.id, 'stdout.log'); }, 'the pod running');
  await until(async () => fs.readFileSync(stdout, 'utf8').includes('epoch 1'), 'the first lines in stdout.log');
  writeLog(log, ['epoch 2', '@expctl {"step": 2, "val_loss": 0.5}']);
  await until(async () => fs.readFileSync(stdout, 'utf8').includes('epoch 2'), 'a line written while the pod runs');
  assert.equal(only(dir).status, 'running');
  assert.equal(await r.exit, 0, r.out());
  const run = only(dir);
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(fs.readFileSync(stdout, 'utf8').split('\n').filter(Boolean), ['epoch 1', '@expctl {"step": 1, "val_loss": 0.9}', 'epoch 2', '@expctl {"step": 2, "val_loss": 0.5}']);
  assert.equal(run.summary.val_loss.last, 0.5);
  const a = run.attempts[0];
  assert.equal(a.k8s?.kind, 'Job');
  assert.equal(a.k8s?.namespace, sb.namespace);
  assert.equal(a.k8s?.node, sb.node);
  assert.equal(a.k8s?.phase, 'Succeeded');
  const jobs = await jobsIn(sb.namespace);
  assert.deepEqual(jobs.map((j) => j.metadata?.name), [a.k8s?.name]);
  assert.deepEqual(jobs[0].spec?.template.spec?.containers[0].resources?.limits, { memory: '8Gi', 'nvidia.com/gpu': '2' });
  // After the Job (and its pod) are gone, the logs are still the run's.
  const c = await testCluster();
  await c.batch.deleteNamespacedJob({ name: a.k8s!.name, namespace: sb.namespace, propagationPolicy: 'Background' });
  await until(async () => (await c.core.listNamespacedPod({ namespace: sb.namespace })).items.length === 0, 'the pod gone');
  const logs = cli(dir, ['logs', run.id]);
  assert.equal(logs.code, 0, logs.err);
  assert.match(logs.out, /epoch 1[\s\S]*epoch 2/);
});

test('a failing pod: exit code 3 is exit:3, one Job, not retried unless retry.on says so', async (t) => {
  const sb = await sandbox(t);
  const dir = workspace(sb, { 'e.experiment.yaml': `name: fail\ncommand: [python, train.py]\nretry: { max_retries: 2, on: [oom] }\n${sim({ 'start-delay': '100ms', 'run-duration': '200ms', outcome: 'fail', 'exit-code': '3' })}` });
  const r = cli(dir, ['run', 'e.experiment.yaml']);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /failed \(exit:3: exited with code 3\)/);
  const run = only(dir);
  assert.deepEqual(run.attempts.map((x) => [x.failure_class, x.exit_code]), [['exit:3', 3]]);
  assert.equal((await jobsIn(sb.namespace)).length, 1);
});

test('OOMKilled is oom, and on_oom retries with the parameter halved — one new Job per attempt, each with its own argv', async (t) => {
  const sb = await sandbox(t);
  const dir = workspace(sb, { 'e.experiment.yaml': 'name: oom\ncommand: [python, train.py, --bs, "{params.batch_size}"]\nparams: { batch_size: 64 }\nresources: { memory: 8Gi }\n' +
    'retry: { max_retries: 2, backoff_initial_s: 0.1, on: [oom] }\non_oom: { param: params.batch_size, factor: 0.5, min: 8 }\n' +
    sim({ 'start-delay': '100ms', 'run-duration': '200ms', outcome: 'fail', 'exit-code': '137', reason: 'OOMKilled' }) });
  const r = cli(dir, ['run', 'e.experiment.yaml']);
  assert.equal(r.code, 1, r.out + r.err);
  const run = only(dir);
  assert.deepEqual(run.attempts.map((x) => x.failure_class), ['oom', 'oom', 'oom']);
  assert.match(run.attempts[0].message ?? '', /OOMKilled/);
  const jobs = await jobsIn(sb.namespace);
  const argv = new Map(jobs.map((j) => [j.metadata?.labels?.['expctl.dev/attempt'], j.spec?.template.spec?.containers[0].command?.at(-1)]));
  assert.deepEqual(Object.fromEntries(argv), { 1: '64', 2: '32', 3: '16' });
  assert.deepEqual(new Set(jobs.map((j) => j.spec?.backoffLimit)), new Set([0]));
});

test('timeout becomes activeDeadlineSeconds; the Job controller stops the pod and the attempt is timeout', async (t) => {
  const sb = await sandbox(t);
  const dir = workspace(sb, { 'e.experiment.yaml': `name: slow\ncommand: [python, train.py]\ntimeout: 2s\n${sim({ 'start-delay': '100ms', 'run-duration': '24h' })}` });
  const r = cli(dir, ['run', 'e.experiment.yaml']);
  assert.equal(r.code, 1, r.out + r.err);
  assert.equal(only(dir).attempts[0].failure_class, 'timeout');
  const [job] = await jobsIn(sb.namespace);
  assert.equal(job.spec?.activeDeadlineSeconds, 2);
  assert.equal(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason, 'DeadlineExceeded');
});

test('unschedulable past schedule_timeout fails with the scheduler\'s message, and its Job is deleted', async (t) => {
  const sb = await sandbox(t);
  // Preflight would refuse 16 GPUs on an 8-GPU node before anything starts (tested below).
  const dir = workspace(sb, { 'e.experiment.yaml': 'name: big\ncommand: [python, train.py]\nresources: { gpus: 16 }\nretry: { max_retries: 2 }\nkubernetes: { schedule_timeout: 2s }\n' });
  const r = cli(dir, ['run', 'e.experiment.yaml', '--no-preflight']);
  assert.equal(r.code, 1, r.out + r.err);
  const [a, ...more] = only(dir).attempts;
  assert.equal(more.length, 0, 'unschedulable is not retried');
  assert.equal(a.failure_class, 'unschedulable');
  assert.match(a.message ?? '', /Insufficient nvidia\.com\/gpu/);
  await until(async () => (await jobsIn(sb.namespace)).length === 0, 'the Job deleted');
  const pre = cli(dir, ['run', 'e.experiment.yaml', '--rerun', 'all']);
  assert.equal(pre.code, 1);
  assert.match(pre.err, /no node matching expctl-test\/node=\S+ has 16 allocatable nvidia\.com\/gpu .*the most any of the \d+ nodes has: 8/);
  assert.match(pre.err, /nothing was started/);
});

test('an image that cannot be pulled fails image_error after start_timeout, with the reason, not retried', async (t) => {
  const sb = await sandbox(t);
  const dir = workspace(sb, { 'e.experiment.yaml': `name: img\ncommand: [python, train.py]\nretry: { max_retries: 2 }\nkubernetes: { start_timeout: 2s, annotations: { sim.test/start-delay: 100ms, sim.test/waiting-reason: ErrImagePull, sim.test/waiting-message: "manifest unknown" } }\n` });
  const r = cli(dir, ['run', 'e.experiment.yaml']);
  assert.equal(r.code, 1, r.out + r.err);
  const attempts = only(dir).attempts;
  assert.equal(attempts.length, 1);
  assert.equal(attempts[0].failure_class, 'image_error');
  assert.match(attempts[0].message ?? '', /ErrImagePull: manifest unknown/);
});

test('an evicted pod is evicted, retried when retry.on lists it', async (t) => {
  const sb = await sandbox(t);
  const dir = workspace(sb, { 'e.experiment.yaml': `name: ev\ncommand: [python, train.py]\nretry: { max_retries: 1, backoff_initial_s: 0.1, on: [evicted] }\n${sim({ 'start-delay': '100ms', 'run-duration': '200ms', outcome: 'evict' })}` });
  const r = cli(dir, ['run', 'e.experiment.yaml']);
  assert.equal(r.code, 1, r.out + r.err);
  const attempts = only(dir).attempts;
  assert.deepEqual(attempts.map((a) => a.failure_class), ['evicted', 'evicted']);
  assert.match(attempts[0].message ?? '', /low on resource: memory/);
});

test('cancel deletes the Job with Background propagation: its pod is gone and the run is cancelled', async (t) => {
  const sb = await sandbox(t);
  const dir = workspace(sb, { 'e.experiment.yaml': `name: long\ncommand: [python, train.py]\n${sim({ 'start-delay': '100ms', 'run-duration': '24h' })}` });
  const r = cliAsync(dir, ['run', 'e.experiment.yaml']);
  const id = await until(async () => { const x = runs(dir)[0]; return x?.attempts[0]?.k8s?.phase === 'Running' && x.id; }, 'the pod running');
  const c = cli(dir, ['cancel', id]);
  assert.equal(c.code, 0, c.err);
  await r.exit;
  assert.match(r.out(), /1 cancelled/);
  assert.equal(only(dir).status, 'cancelled');
  const k = await testCluster();
  await until(async () => (await k.core.listNamespacedPod({ namespace: sb.namespace })).items.length === 0, 'no pod left');
  assert.equal((await jobsIn(sb.namespace)).length, 0);
});

test('PyTorchJob: one Master and two Workers with the operator\'s rendezvous; its status decides; one log per replica and a merged view', async (t) => {
  const sb = await sandbox(t);
  await installPyTorchJobCrd();
  const dir = workspace(sb, { 'e.experiment.yaml': 'name: ddp\ncommand: [python, train.py]\nlauncher: { type: torchrun }\nresources: { gpus: 2 }\nkubernetes: { kind: PyTorchJob, workers: 3 }\n' });
  const r = cliAsync(dir, ['run', 'e.experiment.yaml']);
  const k = await testCluster();
  type PTJ = { metadata: { name: string }; spec: { pytorchReplicaSpecs: Record<string, { replicas: number; template: { spec: { containers: Array<{ command: string[] }> } } }> } };
  const list = async () => ((await k.custom.listNamespacedCustomObject({ ...PYTORCHJOB, namespace: sb.namespace })) as { items: PTJ[] }).items;
  const [ptj] = await until(async () => { const l = await list(); return l.length > 0 && l; }, 'the PyTorchJob created');
  const specs = ptj.spec.pytorchReplicaSpecs;
  assert.deepEqual([specs.Master.replicas, specs.Worker.replicas], [1, 2]);
  assert.deepEqual(specs.Master.template.spec.containers[0].command.slice(0, 11),
    ['torchrun', '--node-rank', '$(RANK)', '--master-addr', '$(MASTER_ADDR)', '--master-port', '$(MASTER_PORT)', '--nproc-per-node', '2', '--nnodes', '3']);
  // Playing the operator: its pods, from the replicas' templates (kwok runs them; logs from one file).
  const log = path.join(dir, 'replicas.log');
  await clusterLogs(sb.namespace, log);
  writeLog(log, ['rank says hi', '@expctl {"val_loss": 0.25}']);
  for (const [type, i] of [['Master', 0], ['Worker', 0], ['Worker', 1]] as const) {
    const tpl = specs[type].template as unknown as { metadata: K8s.V1ObjectMeta; spec: K8s.V1PodSpec };
    await k.core.createNamespacedPod({ namespace: sb.namespace, body: { metadata: { ...tpl.metadata, name: `${ptj.metadata.name}-${type.toLowerCase()}-${i}` }, spec: { ...tpl.spec, nodeSelector: sb.nodeSelector } } });
  }
  const status = (conditions: unknown[]) => k.custom.patchNamespacedCustomObjectStatus({ ...PYTORCHJOB, namespace: sb.namespace, name: ptj.metadata.name, body: { status: { conditions } } }, mergePatch);
  await status([{ type: 'Running', status: 'True' }]);
  const runDir = await until(async () => { const x = runs(dir)[0]; return x && path.join(dir, '.expctl/runs', x.id); }, 'the run');
  await until(async () => ['master-0', 'worker-0', 'worker-1'].every((r) => fs.existsSync(path.join(runDir, `attempt-1.${r}.log`))), 'every replica\'s log streaming');
  await status([{ type: 'Running', status: 'False' }, { type: 'Succeeded', status: 'True', reason: 'PyTorchJobSucceeded' }]);
  assert.equal(await r.exit, 0, r.out());
  const run = only(dir);
  assert.equal(run.status, 'succeeded');
  assert.equal(run.attempts[0].k8s?.kind, 'PyTorchJob');
  // One file per replica, and the merged view: workers' lines marked, so only the master's metrics count.
  for (const r of ['master-0', 'worker-0', 'worker-1']) assert.equal(fs.readFileSync(path.join(runDir, `attempt-1.${r}.log`), 'utf8'), 'rank says hi\n@expctl {"val_loss": 0.25}\n');
  const merged = fs.readFileSync(path.join(runDir, 'stdout.log'), 'utf8').split('\n').filter(Boolean).sort();
  assert.deepEqual(merged, ['@expctl {"val_loss": 0.25}', '[worker-0] @expctl {"val_loss": 0.25}', '[worker-0] rank says hi', '[worker-1] @expctl {"val_loss": 0.25}', '[worker-1] rank says hi', 'rank says hi']);
  assert.deepEqual([run.summary.val_loss.count, run.summary.val_loss.last], [1, 0.25]);
});

test('preflight: a missing namespace, no image and missing permissions are refused before anything starts', async (t) => {
  const sb = await sandbox(t);
  const dir = workspace(sb, { 'e.experiment.yaml': 'name: pf\ncommand: [python, train.py]\n' }, { namespace: 'no-such-ns', image: undefined });
  const r = cli(dir, ['run', 'e.experiment.yaml']);
  assert.equal(r.code, 1);
  assert.match(r.err, /preflight on context '[^']+' \(https:\/\/127\.0\.0\.1:\d+\) failed:/);
  assert.match(r.err, /no container image: set image: on the target/);
  assert.match(r.err, /namespace 'no-such-ns' does not exist — create it \(kubectl create namespace no-such-ns\)/);
  assert.doesNotMatch(r.err, /BEGIN|client-key|at .*\.js:\d+/, 'no credentials, no stack trace');
  assert.equal(fs.existsSync(path.join(dir, '.expctl', 'runs')), false);
  // An identity with no Role: each missing verb is named.
  const k = await testCluster();
  await k.core.createNamespacedServiceAccount({ namespace: sb.namespace, body: { metadata: { name: 'nobody' } } });
  const token = await k.core.createNamespacedServiceAccountToken({ namespace: sb.namespace, name: 'nobody', body: { spec: { audiences: [] } } as never });
  const admin = k.kc.getCurrentCluster()!;
  const kubeconfig = path.join(dir, 'nobody.kubeconfig');
  fs.writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'nobody',
    clusters: [{ name: 'c', cluster: { server: admin.server, 'certificate-authority-data': admin.caData ?? Buffer.from(fs.readFileSync(admin.caFile!)).toString('base64') } }],
    users: [{ name: 'nobody', user: { token: token.status?.token } }],
    contexts: [{ name: 'nobody', context: { cluster: 'c', user: 'nobody', namespace: sb.namespace } }],
  }));
  const rbac = workspace(sb, { 'e.experiment.yaml': 'name: pf\ncommand: [python, train.py]\n' }, { kubeconfig });
  const denied = cli(rbac, ['run', 'e.experiment.yaml']);
  assert.equal(denied.code, 1);
  assert.match(denied.err, new RegExp(`not allowed in namespace '${sb.namespace}': create jobs, delete jobs, get jobs, get pods/log, list pods, watch pods — ask your cluster admin`));
  assert.ok(!denied.err.includes(token.status!.token!), 'the token is never printed');
  assert.match(denied.err, new RegExp(`note: namespace '${sb.namespace}': not allowed to read it`));
  // --dry-run -o yaml prints what would be created, for review or kubectl apply.
  const ok = workspace(sb, { 'e.experiment.yaml': 'name: pf\ncommand: [python, train.py]\nresources: { gpus: 1 }\n' });
  const y = cli(ok, ['run', 'e.experiment.yaml', '--dry-run', '-o', 'yaml']);
  assert.equal(y.code, 0, y.err);
  assert.match(y.out, /^# pf-0 \(attempt 1\)\napiVersion: batch\/v1\nkind: Job\n/);
  assert.match(y.out, /nvidia\.com\/gpu: "1"/);
});

test('kill -9 of the runner at 10 random moments of a 50-trial sweep: every trial ends once, with one Job per attempt', async (t) => {
  const sb = await sandbox(t);
  const dir = workspace(sb, {
    'e.experiment.yaml': `name: k9\ncommand: [python, train.py, "{params.i}"]\nparams: { i: 0 }\n${sim({ 'start-delay': '100ms', 'run-duration': '1s' })}`,
    's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.i: { range: { min: 1, max: 50, step: 1 } }\nmax_parallel: 10\nname_template: "t{params.i}"\n',
  });
  let seed = 7;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  for (let kill = 0; kill < 10; kill++) {
    const r = cliAsync(dir, ['run', 's.sweep.yaml', '--no-preflight']);
    await new Promise((res) => setTimeout(res, 300 + random() * 1200));
    r.child.kill('SIGKILL');
    await r.exit;
  }
  const last = cli(dir, ['run', 's.sweep.yaml']);
  assert.equal(last.code, 0, last.out + last.err);
  const all = runs(dir);
  const byTrial = new Map<string, RunRecord[]>();
  for (const r of all) byTrial.set(r.trial.key, [...(byTrial.get(r.trial.key) ?? []), r]);
  assert.equal(byTrial.size, 50);
  for (const [key, rs] of byTrial) {
    assert.equal(rs.length, 1, `trial ${key} has runs ${rs.map((r) => r.id)}`);
    assert.equal(rs[0].status, 'succeeded', JSON.stringify(rs[0].attempts));
  }
  // Every Job is an attempt a run records, under its own name; none is an extra.
  const recorded = new Map<string, RunRecord['attempts'][number]>(all.flatMap((r) => r.attempts.map((a) => [`${r.id}#${a.n}`, a] as const)));
  const jobs = await jobsIn(sb.namespace);
  for (const j of jobs) {
    const id = j.metadata?.annotations?.['expctl.dev/run-id'];
    const a = recorded.get(`${id}#${j.metadata?.labels?.['expctl.dev/attempt']}`);
    assert.ok(a, `Job ${j.metadata?.name} is no recorded attempt`);
    if (a.k8s) assert.equal(a.k8s.name, j.metadata?.name);
  }
  // And each succeeded run's last attempt has its Job.
  const names = new Set(jobs.map((j) => j.metadata?.name));
  for (const r of all) assert.ok(names.has(r.attempts.at(-1)!.k8s?.name), `${r.id}'s last attempt has no Job`);
});

test('kube-apiserver killed and restarted mid-sweep: the watch reconnects, nothing is lost or duplicated', async (t) => {
  const sb = await sandbox(t);
  const dir = workspace(sb, {
    'e.experiment.yaml': `name: ha\ncommand: [python, train.py, "{params.i}"]\nparams: { i: 0 }\n${sim({ 'start-delay': '100ms', 'run-duration': '1s' })}`,
    's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.i: { range: { min: 1, max: 20, step: 1 } }\nmax_parallel: 4\nname_template: "t{params.i}"\n',
  });
  const r = cliAsync(dir, ['run', 's.sweep.yaml']);
  // Pods end every ~0.3 s: Jobs are being created while the server is away (those creates wait for it).
  await until(async () => runs(dir).filter((x) => x.status === 'succeeded').length >= 2, 'two runs done');
  await restartApiserver();
  assert.equal(await r.exit, 0, r.out());
  const all = runs(dir);
  assert.equal(all.length, 20);
  assert.ok(all.every((x) => x.status === 'succeeded' && x.attempts.length === 1), JSON.stringify(all.map((x) => [x.id, x.status, x.attempts.length, x.attempts[0]?.message])));
  assert.equal((await jobsIn(sb.namespace)).length, 20);
});
