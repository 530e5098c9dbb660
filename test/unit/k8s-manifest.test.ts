import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Experiment, KubernetesTarget } from '../../core/src/config/types';
import { labelValue, ManifestError, settingsFor, workload, workloadName } from '../../core/src/k8s/manifest';

const target: KubernetesTarget = { type: 'kubernetes', namespace: 'training', image: 'registry/trainer:1', labels: { team: 'ml' }, node_selector: { pool: 'gpu' } };
const run = { id: 'mnist-lr0.001_h64-1a2b3c4d', sweepId: 'hpo-8bb46ebe', trialKey: '1a2b3c4d5e6f7a8b', trialName: 'lr0.001_h64', index: 3, repeat: 0, attempt: 2 };
const exp = (x: Partial<Experiment> = {}): Experiment => ({ name: 'mnist', command: ['python', 'train.py', '--lr', '{params.lr}'], params: { lr: 0.001 }, ...x });
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function job(x: Partial<Experiment> = {}, t: KubernetesTarget = target): Obj {
  return workload({ config: exp(x), experimentFile: '/w/train.experiment.yaml', target: t, run }).body as Obj;
}
const podOf = (j: Obj) => j.spec.template.spec;
const containerOf = (j: Obj) => podOf(j).containers[0];

test('a Job runs its pod once (expctl retries), argv as the container command, never through a shell', () => {
  const j = job({ timeout: '90s', resources: { gpus: 2, cpus: 8, memory: '32Gi' } });
  assert.equal(j.apiVersion, 'batch/v1');
  assert.equal(j.spec.backoffLimit, 0);
  assert.equal(j.spec.activeDeadlineSeconds, 90);
  assert.equal(podOf(j).restartPolicy, 'Never');
  assert.deepEqual(containerOf(j).command, ['python', 'train.py', '--lr', '0.001']);
  assert.equal(containerOf(j).args, undefined);
  assert.deepEqual(containerOf(j).resources, {
    requests: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '2' },
    limits: { memory: '32Gi', 'nvidia.com/gpu': '2' },
  });
});

test('shell: true is the one way to get sh -c', () => {
  assert.deepEqual(containerOf(job({ command: 'python train.py | tee out', shell: true })).command, ['/bin/sh', '-c', 'python train.py | tee out']);
});

test('a literal $( in the user argv is escaped: Kubernetes would expand it', () => {
  assert.deepEqual(containerOf(job({ command: ['echo', '$(HOME)'] })).command, ['echo', '$$(HOME)']);
});

test('labels and annotations name the run, sweep, trial and attempt; pods carry the workload name', () => {
  const j = job();
  assert.equal(j.metadata.name, workloadName(run.id, 2));
  assert.equal(j.metadata.namespace, 'training');
  assert.deepEqual(j.metadata.labels, {
    team: 'ml', 'app.kubernetes.io/managed-by': 'expctl', 'expctl.dev/run': run.id, 'expctl.dev/sweep': run.sweepId,
    'expctl.dev/trial': run.trialKey, 'expctl.dev/attempt': '2',
  });
  assert.equal(j.metadata.annotations['expctl.dev/run-id'], run.id);
  assert.equal(j.spec.template.metadata.labels['expctl.dev/job'], j.metadata.name);
});

test('the environment is the experiment\'s and expctl\'s, never the runner\'s; secrets by reference only', () => {
  process.env.EXPCTL_TEST_SECRET = 'hunter2';
  const env = containerOf(job({ env: { NCCL_DEBUG: 'WARN' }, kubernetes: { secret_env: { WANDB_API_KEY: { secret: 'wandb', key: 'api-key' } } } })).env as Obj[];
  delete process.env.EXPCTL_TEST_SECRET;
  const names = env.map((e) => e.name);
  assert.ok(!names.includes('EXPCTL_TEST_SECRET') && !names.includes('PATH'));
  assert.ok(!names.includes('EXPCTL_METRICS_FILE'), 'a path on this machine means nothing in a pod');
  assert.deepEqual(env.find((e) => e.name === 'NCCL_DEBUG'), { name: 'NCCL_DEBUG', value: 'WARN' });
  assert.deepEqual(env.find((e) => e.name === 'EXPCTL_ATTEMPT'), { name: 'EXPCTL_ATTEMPT', value: '2' });
  assert.deepEqual(env.find((e) => e.name === 'EXPCTL_PARAMS'), { name: 'EXPCTL_PARAMS', value: '{"lr":0.001}' });
  assert.deepEqual(env.find((e) => e.name === 'WANDB_API_KEY'), { name: 'WANDB_API_KEY', valueFrom: { secretKeyRef: { name: 'wandb', key: 'api-key' } } });
});

test('settings merge: target < target defaults < experiment; maps key by key, lists replaced', () => {
  const t: KubernetesTarget = { ...target, tolerations: [{ key: 'a', operator: 'Exists' }], defaults: { kubernetes: { labels: { tier: 'batch' } }, resources: { memory: '8Gi', cpus: 2 } } };
  const s = settingsFor(exp({ kubernetes: { labels: { team: 'vision' }, tolerations: [{ key: 'b', operator: 'Exists' }] }, resources: { memory: '16Gi' } }), t);
  assert.deepEqual(s.labels, { team: 'vision', tier: 'batch' });
  assert.deepEqual(s.tolerations, [{ key: 'b', operator: 'Exists' }]);
  assert.deepEqual(s.resources, { memory: '16Gi', cpus: 2 });
  assert.equal(s.namespace, 'training');
  assert.equal(s.kind, 'Job');
});

test('scheduling: node selector, gpu_type on the product label (or the products the cluster has), tolerations, volumes, /dev/shm', () => {
  const j = job({
    resources: { gpus: 1, gpu_type: 'A100' },
    kubernetes: {
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }], priority_class: 'high', service_account: 'trainer', shm_size: '16Gi',
      volumes: [{ name: 'data', mount_path: '/data', pvc: 'imagenet', read_only: true }, { name: 'cfg', mount_path: '/cfg', config_map: 'c' },
        { name: 'h', mount_path: '/h', host_path: '/mnt/h' }, { name: 'tmp', mount_path: '/tmp', empty_dir: { size_limit: '1Gi' } }],
    },
  });
  const pod = podOf(j);
  assert.deepEqual(pod.nodeSelector, { pool: 'gpu', 'nvidia.com/gpu.product': 'A100' });
  assert.deepEqual(pod.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  assert.equal(pod.priorityClassName, 'high');
  assert.equal(pod.serviceAccountName, 'trainer');
  assert.deepEqual(pod.volumes, [
    { name: 'data', persistentVolumeClaim: { claimName: 'imagenet', readOnly: true } }, { name: 'cfg', configMap: { name: 'c' } },
    { name: 'h', hostPath: { path: '/mnt/h' } }, { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
    { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '16Gi' } },
  ]);
  assert.deepEqual(containerOf(j).volumeMounts.at(-1), { name: 'dshm', mountPath: '/dev/shm' });
  const w = workload({ config: exp({ resources: { gpus: 'A100:2' } }), experimentFile: '/w/e.yaml', target, run, gpuProducts: new Map([['A100', ['NVIDIA-A100-SXM4-80GB', 'NVIDIA-A100-PCIE-40GB']]]) }).body as Obj;
  assert.deepEqual(podOf(w).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions,
    [{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-A100-SXM4-80GB', 'NVIDIA-A100-PCIE-40GB'] }]);
  assert.equal(podOf(w).nodeSelector['nvidia.com/gpu.product'], undefined);
});

test('PyTorchJob: Master + workers-1 Workers; torchrun and accelerate get the operator\'s rank and rendezvous', () => {
  const p = job({ launcher: { type: 'torchrun' }, resources: { gpus: 4 }, kubernetes: { kind: 'PyTorchJob', workers: 3 }, timeout: '2h' });
  assert.equal(p.apiVersion, 'kubeflow.org/v1');
  assert.equal(p.spec.runPolicy.backoffLimit, 0);
  assert.equal(p.spec.runPolicy.activeDeadlineSeconds, 7200);
  assert.equal(p.spec.pytorchReplicaSpecs.Master.replicas, 1);
  assert.equal(p.spec.pytorchReplicaSpecs.Worker.replicas, 2);
  const c = p.spec.pytorchReplicaSpecs.Master.template.spec.containers[0];
  assert.equal(c.name, 'pytorch');
  assert.deepEqual(c.command, ['torchrun', '--node-rank', '$(RANK)', '--master-addr', '$(MASTER_ADDR)', '--master-port', '$(MASTER_PORT)',
    '--nproc-per-node', '4', '--nnodes', '3', 'train.py', '--lr', '0.001']);
  assert.equal(p.spec.pytorchReplicaSpecs.Worker.template.metadata.labels['expctl.dev/replica'], 'worker');
  const a = job({ launcher: { type: 'accelerate', mixed_precision: 'bf16' }, resources: { gpus: 2 }, kubernetes: { kind: 'PyTorchJob', workers: 2 } });
  assert.deepEqual(a.spec.pytorchReplicaSpecs.Master.template.spec.containers[0].command, ['accelerate', 'launch',
    '--machine_rank', '$(RANK)', '--main_process_ip', '$(MASTER_ADDR)', '--main_process_port', '$(MASTER_PORT)',
    '--num_processes', '4', '--num_machines', '2', '--mixed_precision', 'bf16', '--multi_gpu', 'train.py', '--lr', '0.001']);
  assert.equal(job({ kubernetes: { kind: 'PyTorchJob', workers: 1 } }).spec.pytorchReplicaSpecs.Worker, undefined);
});

test('names: deterministic per (run, attempt), DNS-1035, short enough for pod names; label values always valid', () => {
  const long = 'X'.repeat(70) + '_lr=0.001';
  const n = workloadName(long, 12);
  assert.equal(n, workloadName(long, 12));
  assert.notEqual(n, workloadName(long, 13));
  assert.match(n, /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  assert.ok(n.length <= 50, n);
  assert.match(workloadName('0abc', 1), /^r-0abc-/);
  for (const v of [long, 'ok-value', '_x_', 'a/b c']) {
    const l = labelValue(v);
    assert.ok(l.length <= 63 && /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(l), `${v} → ${l}`);
  }
  assert.equal(labelValue('ok-value'), 'ok-value');
  assert.notEqual(labelValue('a'.repeat(64)), labelValue('a'.repeat(65)));
});

test('no image anywhere is a ManifestError that says where to set one', () => {
  assert.throws(() => job({}, { type: 'kubernetes' }), (e: unknown) => e instanceof ManifestError && /kubernetes\.image.*targets\.yaml/.test((e as Error).message));
});
