// The test cluster itself (scripts/k8s/, scripts/with-k8s.sh, test/helpers/k8s.ts), with plain
// @kubernetes/client-node calls: the sandbox node, every kwok pod stage (success, exit code,
// OOMKilled, eviction, image/config errors), real scheduling, logs, the PyTorchJob CRD, apiserver
// metrics and restart — and that no cluster process outlives its owner however it ends.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive } from '../../core/src/util/process';
import {
  GPU_PRODUCT, NODE_LABEL, apiserverMetrics, clusterLogs, installPyTorchJobCrd, mergePatch, metricsDelta, podLogs,
  restartApiserver, sandbox, testCluster, until, writeLog,
} from '../helpers/k8s';
import type { Sandbox } from '../helpers/k8s';
import { waitFor } from '../helpers/wait';

const ROOT = path.resolve(__dirname, '../..');

/** A one-pod Job pinned to the sandbox's node, as the runner makes them (backoffLimit 0, Never). */
function job(sb: Sandbox, name: string, annotations: Record<string, string> = {}, gpus = 1): k8s.V1Job {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: sb.namespace },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations },
        spec: {
          restartPolicy: 'Never', nodeSelector: sb.nodeSelector,
          containers: [{ name: 'train', image: 'example.invalid/trainer:1', command: ['python', 'train.py'],
            resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }],
        },
      },
    },
  };
}

async function createJob(sb: Sandbox, body: k8s.V1Job): Promise<void> {
  const { batch } = await testCluster();
  await batch.createNamespacedJob({ namespace: sb.namespace, body });
}

/** The Job's pod once `ok` holds for it. */
async function podWhen(sb: Sandbox, jobName: string, ok: (p: k8s.V1Pod) => unknown, what: string): Promise<k8s.V1Pod> {
  const { core } = await testCluster();
  return until(async () => (await core.listNamespacedPod({ namespace: sb.namespace, labelSelector: `job-name=${jobName}` })).items.find(ok),
    `${what} (job ${sb.namespace}/${jobName})`);
}

async function jobCondition(sb: Sandbox, name: string, type: 'Complete' | 'Failed'): Promise<k8s.V1JobCondition> {
  const { batch } = await testCluster();
  return until(async () => (await batch.readNamespacedJob({ name, namespace: sb.namespace })).status?.conditions
    ?.find((c) => c.type === type && c.status === 'True'), `job ${sb.namespace}/${name} ${type}`);
}

const terminated = (p: k8s.V1Pod) => p.status?.containerStatuses?.[0]?.state?.terminated;

test('sandbox: a fresh namespace and a Ready 8-GPU node, both gone after cleanup', async (t) => {
  const { core } = await testCluster();
  const sb = await sandbox(t);
  assert.match(sb.namespace, /^sandbox-a-fresh-namespace/);
  const node = await core.readNode({ name: sb.node });
  assert.ok(node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  for (const r of ['capacity', 'allocatable'] as const) {
    assert.deepEqual(node.status?.[r], { cpu: '32', memory: '256Gi', pods: '110', 'nvidia.com/gpu': '8' }, r);
  }
  assert.equal(node.metadata?.labels?.[NODE_LABEL], sb.node);
  assert.equal(node.metadata?.labels?.['nvidia.com/gpu.product'], GPU_PRODUCT);
  assert.equal(node.spec?.taints, undefined);
  await core.readNamespace({ name: sb.namespace });

  await sb.cleanup();
  await assert.rejects(core.readNode({ name: sb.node }), (e: { code?: number }) => e.code === 404);
  const ns = await core.readNamespace({ name: sb.namespace }).catch((e: { code?: number }) => e.code);
  assert.ok(ns === 404 || (ns as k8s.V1Namespace).status?.phase === 'Terminating', `namespace after cleanup: ${JSON.stringify(ns)}`);
});

test('a Job succeeds: its pod runs on the sandbox node and ends with exit code 0', async (t) => {
  const sb = await sandbox(t);
  await createJob(sb, job(sb, 'ok', { 'sim.test/start-delay': '200ms', 'sim.test/run-duration': '500ms' }));
  await podWhen(sb, 'ok', (p) => p.status?.phase === 'Running', 'pod Running');
  await jobCondition(sb, 'ok', 'Complete');
  const pod = await podWhen(sb, 'ok', (p) => p.status?.phase === 'Succeeded', 'pod Succeeded');
  assert.equal(pod.spec?.nodeName, sb.node);
  assert.equal(terminated(pod)?.exitCode, 0);
});

test('a Job fails with exit code 3; with 137 and OOMKilled', async (t) => {
  const sb = await sandbox(t);
  await createJob(sb, job(sb, 'exit3', { 'sim.test/outcome': 'fail', 'sim.test/exit-code': '3', 'sim.test/run-duration': '300ms' }));
  await createJob(sb, job(sb, 'oom', { 'sim.test/outcome': 'fail', 'sim.test/exit-code': '137', 'sim.test/reason': 'OOMKilled', 'sim.test/run-duration': '300ms' }));
  assert.equal((await jobCondition(sb, 'exit3', 'Failed')).reason, 'BackoffLimitExceeded');
  await jobCondition(sb, 'oom', 'Failed');
  const exit3 = await podWhen(sb, 'exit3', (p) => p.status?.phase === 'Failed', 'pod Failed');
  assert.deepEqual([terminated(exit3)?.exitCode, terminated(exit3)?.reason], [3, 'Error']);
  const oom = await podWhen(sb, 'oom', (p) => p.status?.phase === 'Failed', 'pod Failed');
  assert.deepEqual([terminated(oom)?.exitCode, terminated(oom)?.reason], [137, 'OOMKilled']);
});

test('sim.test/outcome: evict ends the pod as a kubelet eviction does', async (t) => {
  const sb = await sandbox(t);
  await createJob(sb, job(sb, 'evicted', { 'sim.test/outcome': 'evict', 'sim.test/run-duration': '300ms' }));
  await podWhen(sb, 'evicted', (p) => p.status?.phase === 'Running', 'pod Running');
  const pod = await podWhen(sb, 'evicted', (p) => p.status?.phase === 'Failed', 'pod Failed');
  assert.equal(pod.status?.reason, 'Evicted');
  assert.equal(pod.status?.message, 'The node was low on resource: memory.');
  const disruption = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
  assert.deepEqual([disruption?.status, disruption?.reason], ['True', 'TerminationByKubelet']);
  assert.deepEqual([terminated(pod)?.exitCode, terminated(pod)?.reason], [137, 'Error']);
  await jobCondition(sb, 'evicted', 'Failed');
});

test('sim.test/waiting-reason keeps the pod Pending with its containers waiting', async (t) => {
  const sb = await sandbox(t);
  const cases = [
    { job: 'pull', reason: 'ErrImagePull', message: /failed to pull and unpack image "example.invalid\/trainer:1"/ },
    { job: 'backoff', reason: 'ImagePullBackOff', message: /^Back-off pulling image "example.invalid\/trainer:1"$/ },
    { job: 'config', reason: 'CreateContainerConfigError', message: /^secret "creds" not found$/, text: 'secret "creds" not found' },
  ];
  for (const c of cases) {
    await createJob(sb, job(sb, c.job, { 'sim.test/start-delay': '100ms', 'sim.test/waiting-reason': c.reason,
      ...(c.text ? { 'sim.test/waiting-message': c.text } : {}) }));
  }
  // The same start delay without the knob: once this one has run and finished, the stages have
  // had every chance to start the waiting pods.
  await createJob(sb, job(sb, 'control', { 'sim.test/start-delay': '100ms', 'sim.test/run-duration': '200ms' }));
  for (const c of cases) {
    const pod = await podWhen(sb, c.job, (p) => p.status?.containerStatuses?.[0]?.state?.waiting, 'container waiting');
    const waiting = pod.status!.containerStatuses![0].state!.waiting!;
    assert.equal(waiting.reason, c.reason);
    assert.match(waiting.message ?? '', c.message);
  }
  await jobCondition(sb, 'control', 'Complete');
  const { core } = await testCluster();
  for (const p of (await core.listNamespacedPod({ namespace: sb.namespace, labelSelector: 'job-name in (pull,backoff,config)' })).items) {
    assert.equal(p.status?.phase, 'Pending', p.metadata?.name);
    assert.equal(p.status?.containerStatuses?.[0]?.state?.running, undefined, p.metadata?.name);
  }
});

test('16 GPUs on an 8-GPU node: the real scheduler says Unschedulable, Insufficient nvidia.com/gpu', async (t) => {
  const sb = await sandbox(t);
  await createJob(sb, job(sb, 'big', {}, 16));
  const pod = await podWhen(sb, 'big', (p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'),
    'PodScheduled=False Unschedulable');
  const cond = pod.status!.conditions!.find((c) => c.type === 'PodScheduled')!;
  assert.equal(cond.status, 'False');
  assert.match(cond.message ?? '', /Insufficient nvidia\.com\/gpu/);
  assert.equal(pod.status?.phase, 'Pending');
});

test('logs: ClusterLogs for the namespace and Logs for one pod, read through the apiserver', async (t) => {
  const sb = await sandbox(t);
  const { core } = await testCluster();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-k8s-logs-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const all = path.join(dir, 'all.log');
  await clusterLogs(sb.namespace, all);
  assert.equal(fs.readFileSync(all, 'utf8'), '', 'clusterLogs creates the file');
  writeLog(all, ['@expctl {"step": 1, "loss": 0.5}', 'epoch 1 done']);
  writeLog(all, 'a warning', 'stderr');
  assert.match(fs.readFileSync(all, 'utf8').split('\n')[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F @expctl/);
  await createJob(sb, job(sb, 'a', { 'sim.test/start-delay': '100ms', 'sim.test/run-duration': '24h' }));
  await createJob(sb, job(sb, 'b', { 'sim.test/start-delay': '100ms', 'sim.test/run-duration': '24h' }));
  const [a, b] = await Promise.all(['a', 'b'].map((j) => podWhen(sb, j, (p) => p.status?.phase === 'Running', 'pod Running')));
  const own = path.join(dir, 'b.log');
  await podLogs(sb.namespace, b.metadata!.name!, own);
  writeLog(own, 'only b');

  const read = (pod: k8s.V1Pod) => core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: sb.namespace, container: 'train' });
  assert.equal(await until(() => read(a), 'pod a logs'), '@expctl {"step": 1, "loss": 0.5}\nepoch 1 done\na warning\n');
  assert.equal(await until(async () => { const s = await read(b); return s.includes('only b') && s; }, 'pod b logs from its own file'), 'only b\n');
  writeLog(all, 'epoch 2 done');
  assert.match(await read(a), /epoch 2 done\n$/, 'lines appended later are served');
});

test('PyTorchJob CRD: create an object, merge-patch its status as the operator would', async (t) => {
  const sb = await sandbox(t);
  const { custom } = await testCluster();
  await installPyTorchJobCrd();
  await installPyTorchJobCrd(); // once per process; a second call is free
  const ref = { group: 'kubeflow.org', version: 'v1', namespace: sb.namespace, plural: 'pytorchjobs' };
  const replica = (replicas: number) => ({ replicas, restartPolicy: 'OnFailure',
    template: { spec: { containers: [{ name: 'pytorch', image: 'example.invalid/trainer:1', resources: { limits: { 'nvidia.com/gpu': '1' } } }] } } });
  await custom.createNamespacedCustomObject({ ...ref, body: { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob',
    metadata: { name: 'ddp', namespace: sb.namespace }, spec: { pytorchReplicaSpecs: { Master: replica(1), Worker: replica(2) } } } });
  await custom.patchNamespacedCustomObjectStatus({ ...ref, name: 'ddp',
    body: { status: { conditions: [{ type: 'Running', status: 'True', reason: 'PyTorchJobRunning' }] } } }, mergePatch);
  const got = await custom.getNamespacedCustomObject({ ...ref, name: 'ddp' });
  assert.equal(got.spec.pytorchReplicaSpecs.Worker.replicas, 2);
  assert.deepEqual(got.status.conditions.map((c: { type: string }) => c.type), ['Running']);
});

test('apiserverMetrics counts requests by verb and resource', async (t) => {
  const sb = await sandbox(t);
  const before = await apiserverMetrics();
  assert.ok((before.get('GET nodes') ?? 0) > 0, `a reading has GET nodes: ${[...before.keys()].slice(0, 10).join(', ')}`);
  await createJob(sb, job(sb, 'one', { 'sim.test/run-duration': '24h' }));
  await createJob(sb, job(sb, 'two', { 'sim.test/run-duration': '24h' }));
  const delta = metricsDelta(before, await apiserverMetrics());
  assert.equal(delta.get('POST jobs'), 2, JSON.stringify([...delta]));
});

test('restartApiserver: a watch opened before ends with the outage; the restarted cluster works', async (t) => {
  const sb = await sandbox(t);
  const c = await testCluster();
  let end!: (how: unknown) => void;
  const ended = new Promise<unknown>((resolve) => { end = resolve; });
  await new k8s.Watch(c.kc).watch(`/api/v1/namespaces/${sb.namespace}/pods`, {}, () => {}, (err) => end(err ?? 'ended'));
  const { oldPid, pid } = await restartApiserver();
  assert.notEqual(pid, oldPid);
  assert.ok(!alive(oldPid) && alive(pid));
  assert.match(fs.readFileSync(path.join(c.stateDir, 'pids'), 'utf8'), new RegExp(`^kube-apiserver ${pid}$`, 'm'));
  assert.ok(await ended);
  await c.core.listNamespacedPod({ namespace: sb.namespace });
  // The controller-manager, scheduler and kwok came through: a Job still runs to completion.
  await createJob(sb, job(sb, 'after', { 'sim.test/start-delay': '100ms', 'sim.test/run-duration': '100ms' }));
  await jobCondition(sb, 'after', 'Complete');
});

// ---- no cluster process outlives its owner ----------------------------------------------------

/** Runs `bash scripts/with-k8s.sh bash -c SCRIPT`; SCRIPT's $1 is a file it may write. */
function withK8s(script: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-with-k8s-'));
  const out = path.join(dir, 'out');
  const child = spawn('bash', [path.join(ROOT, 'scripts/with-k8s.sh'), 'bash', '-c', script, 'cmd', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b; });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 + os.constants.signals[sig] : null))));
  return { child, out, exit, stderr: () => stderr };
}

/** What the command saw: the env file's lines, the cluster's PIDs and its own PID, written by REPORT. */
const REPORT = 'cat "$EXPCTL_TEST_K8S_ENV" > "$1.tmp"; echo "STATE=$(dirname "$EXPCTL_TEST_K8S_ENV")" >> "$1.tmp"; '
  + 'awk \'{print "PID=" $2}\' "$(dirname "$EXPCTL_TEST_K8S_ENV")/pids" >> "$1.tmp"; echo "CMD=$$" >> "$1.tmp"; mv "$1.tmp" "$1"';
function report(out: string) {
  const lines = fs.readFileSync(out, 'utf8').split('\n');
  const value = (key: string) => lines.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
  return {
    kubeconfig: value('KUBECONFIG'), state: value('STATE')!, cmd: Number(value('CMD')),
    pids: lines.filter((l) => l.startsWith('PID=')).map((l) => Number(l.slice(4))),
  };
}

test('with-k8s.sh: the command sees a live cluster; its exit status is kept; the cluster is gone after', async () => {
  const run = withK8s(`${REPORT}; kubectl --kubeconfig "$(sed -n 's/^KUBECONFIG=//p' "$EXPCTL_TEST_K8S_ENV")" get --raw /readyz >> "$1" && exit 7`);
  assert.equal(await run.exit, 7, run.stderr());
  const r = report(run.out);
  assert.equal(r.kubeconfig, path.join(r.state, 'kubeconfig'));
  assert.equal(r.pids.length, 5);
  assert.match(fs.readFileSync(run.out, 'utf8'), /^ok$/m, 'kubectl reached the apiserver');
  assert.deepEqual(r.pids.filter(alive), [], 'every cluster process stopped');
  assert.equal(fs.existsSync(r.state), false, 'the state folder removed');
});

test('with-k8s.sh: SIGTERM goes to the command, then the cluster stops', async () => {
  const run = withK8s(`${REPORT}; exec sleep 600`);
  await waitFor(() => fs.existsSync(run.out), 'the command to start', 120_000);
  const r = report(run.out);
  assert.deepEqual(r.pids.filter(alive), r.pids);
  run.child.kill('SIGTERM');
  assert.equal(await run.exit, 143, run.stderr());
  assert.deepEqual(r.pids.filter(alive), []);
});

test('with-k8s.sh killed with SIGKILL: its guard still stops the cluster', async () => {
  const run = withK8s(`${REPORT}; exec sleep 600`);
  await waitFor(() => fs.existsSync(run.out), 'the command to start', 120_000);
  const r = report(run.out);
  run.child.kill('SIGKILL');
  await run.exit;
  try {
    await waitFor(() => r.pids.every((p) => !alive(p)) && !fs.existsSync(r.state), 'the guard to stop the cluster and remove its state', 30_000);
  } finally {
    process.kill(r.cmd, 'SIGKILL'); // the command itself is orphaned, as any child of a killed shell
  }
});

test('a test process without EXPCTL_TEST_K8S_ENV starts its own cluster and stops it when it ends, even by SIGKILL', async () => {
  const script = `const { testCluster } = require(${JSON.stringify(path.join(ROOT, 'test/helpers/k8s.ts'))});
    testCluster().then(async (c) => {
      await c.core.listNamespace();
      console.log(JSON.stringify({ state: c.stateDir, pids: require('node:fs').readFileSync(c.stateDir + '/pids', 'utf8') }));
      if (process.argv[1] === 'hang') setInterval(() => {}, 1000);
    });`;
  const start = (mode: string) => {
    const env = { ...process.env };
    delete env.EXPCTL_TEST_K8S_ENV;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script, mode], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', exited = false;
    child.stdout.on('data', (b: Buffer) => { stdout += b; });
    child.stderr.on('data', (b: Buffer) => { stderr += b; });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => { exited = true; resolve(code); }));
    const started = async () => {
      await waitFor(() => stdout.includes('\n') || exited, 'the cluster to start', 120_000);
      assert.ok(stdout, `the process ended before its cluster started: ${stderr}`);
      return JSON.parse(stdout) as { state: string; pids: string };
    };
    return { child, exit, started, stderr: () => stderr };
  };
  const pidsOf = (s: { pids: string }) => s.pids.trim().split('\n').map((l) => Number(l.split(' ')[1]));

  const done = start('exit');
  const s1 = await done.started();
  assert.equal(await done.exit, 0, done.stderr());
  assert.deepEqual(pidsOf(s1).filter(alive), [], 'stopped at exit');
  assert.equal(fs.existsSync(s1.state), false);

  const killed = start('hang');
  const s2 = await killed.started();
  assert.equal(pidsOf(s2).filter(alive).length, 5);
  killed.child.kill('SIGKILL');
  await killed.exit;
  await waitFor(() => pidsOf(s2).every((p) => !alive(p)) && !fs.existsSync(s2.state), 'the guard to stop the cluster and remove its state', 30_000);
});
