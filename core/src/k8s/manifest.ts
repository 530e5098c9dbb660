// What one attempt becomes on a cluster: a batch/v1 Job (one pod) or a kubeflow.org/v1 PyTorchJob
// (a Master and workers-1 Workers). Pure functions of the resolved trial config, the target's
// settings and the run's identity — `expctl run --dry-run -o yaml` prints exactly what `run` creates.
import { createHash } from 'node:crypto';
import type { Experiment, KubernetesSpec, KubernetesTarget, Resources, Toleration, Volume } from '../config/types';
import { parseGpuRequest } from '../gpus';
import { buildLaunch, gpusRequested } from '../runner/launch';
import { parseDuration } from '../util/units';

export class ManifestError extends Error {}

/** Labels every object expctl creates carries: the watch selects on `managed-by`, adoption on run + attempt. */
export const LABEL = {
  managedBy: 'app.kubernetes.io/managed-by',
  run: 'expctl.dev/run',
  sweep: 'expctl.dev/sweep',
  trial: 'expctl.dev/trial',
  attempt: 'expctl.dev/attempt',
  /** On pods: the Job or PyTorchJob they belong to (the same for both kinds, unlike the controllers' own labels). */
  job: 'expctl.dev/job',
  replica: 'expctl.dev/replica',
} as const;
export const MANAGED_BY = 'expctl';
/** Full values, which labels (63 characters at most) may have to shorten. */
export const ANNOTATION = { runId: 'expctl.dev/run-id', sweepId: 'expctl.dev/sweep-id', trial: 'expctl.dev/trial-name' } as const;

/** The GPU resource name of the NVIDIA device plugin. */
export const GPU_RESOURCE = 'nvidia.com/gpu';
/** The node label NVIDIA's GPU feature discovery sets (`NVIDIA-A100-SXM4-80GB`). */
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';
/** The PyTorchJob operator requires this container name. */
const PYTORCH_CONTAINER = 'pytorch';
const JOB_CONTAINER = 'main';
/** The container whose logs are the run's stdout. */
export const containerName = (kind: 'Job' | 'PyTorchJob') => (kind === 'Job' ? JOB_CONTAINER : PYTORCH_CONTAINER);
/** What a pod's rendezvous listens on: each pod has its own network namespace, so no port is ever taken. */
export const POD_PORT = 29500;

/** The target's settings, the target's `defaults`, then the experiment's `kubernetes:` — maps merge key by key. */
export interface K8sSettings extends KubernetesSpec {
  namespace: string;
  kind: 'Job' | 'PyTorchJob';
  workers: number;
  resources: Resources;
  env: Record<string, string>;
  scheduleTimeoutS: number;
  startTimeoutS: number;
}

const DEFAULT_SCHEDULE_TIMEOUT_S = 600;
const DEFAULT_START_TIMEOUT_S = 120;

export function settingsFor(config: Experiment, target: KubernetesTarget): K8sSettings {
  const top: KubernetesSpec = {
    namespace: target.namespace, image: target.image, image_pull_policy: target.image_pull_policy, service_account: target.service_account,
    labels: target.labels, node_selector: target.node_selector, tolerations: target.tolerations, priority_class: target.priority_class,
    ttl_seconds_after_finished: target.ttl_seconds_after_finished, schedule_timeout: target.schedule_timeout, start_timeout: target.start_timeout,
  };
  const layers = [top, target.defaults?.kubernetes ?? {}, config.kubernetes ?? {}];
  const merged: KubernetesSpec = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer) as Array<[keyof KubernetesSpec, unknown]>) {
      if (v === undefined || v === null) continue;
      const maps = ['labels', 'annotations', 'node_selector', 'secret_env'];
      (merged as Record<string, unknown>)[k] = maps.includes(k) ? { ...(merged[k] as object | undefined), ...(v as object) } : v;
    }
  }
  const seconds = (v: string | number | undefined, d: number) => (v === undefined ? d : parseDuration(v) ?? d);
  return {
    ...merged,
    namespace: merged.namespace ?? 'default',
    kind: merged.kind ?? 'Job',
    workers: merged.workers ?? 1,
    resources: { ...target.resources, ...target.defaults?.resources, ...config.resources },
    env: { ...target.defaults?.env, ...config.env },
    scheduleTimeoutS: seconds(merged.schedule_timeout, DEFAULT_SCHEDULE_TIMEOUT_S),
    startTimeoutS: seconds(merged.start_timeout, DEFAULT_START_TIMEOUT_S),
  };
}

export interface WorkloadInput {
  /** The trial's resolved config, with what on_failure changed for this attempt. */
  config: Experiment;
  /** Absolute path of the experiment file (templates render relative to it). */
  experimentFile: string;
  target: KubernetesTarget;
  run: { id: string; sweepId: string; trialKey: string; trialName: string; index: number; repeat: number; attempt: number };
  /** Per GPU type as written (gpuTypeOf), the product labels on the cluster's nodes that match it (preflight finds them); else the type as written. */
  gpuProducts?: ReadonlyMap<string, string[]>;
}

export interface Workload {
  kind: 'Job' | 'PyTorchJob';
  namespace: string;
  name: string;
  /** The object to create, as `kubectl apply` takes it. */
  body: Record<string, unknown>;
  settings: K8sSettings;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The Job's name for an attempt: deterministic, so that a runner taking over never creates a second
 * one (the create answers AlreadyExists); a DNS-1035 label (PyTorchJob requires it) short enough
 * for `<name>-worker-12` pod names and the controllers' `job-name` labels.
 */
export function workloadName(runId: string, attempt: number): string {
  const suffix = `-${sha(runId).slice(0, 8)}-a${attempt}`;
  let stem = runId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(stem)) stem = `r-${stem}`;
  stem = stem.slice(0, 50 - suffix.length).replace(/-+$/, '');
  return stem + suffix;
}

/** A label value for any string: itself when valid, else a readable prefix and a hash (63 characters at most). */
export function labelValue(s: string): string {
  if (/^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(s)) return s;
  const stem = s.replace(/[^-A-Za-z0-9_.]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 50).replace(/[^A-Za-z0-9]+$/, '');
  return `${stem ? `${stem}-` : ''}${sha(s).slice(0, 12)}`;
}

export function workload(input: WorkloadInput): Workload {
  const s = settingsFor(input.config, input.target);
  const { run } = input;
  if (!s.image) throw new ManifestError('no container image: set kubernetes.image in the experiment or image in the target (targets.yaml)');
  const name = workloadName(run.id, run.attempt);
  const labels: Record<string, string> = {
    ...s.labels,
    [LABEL.managedBy]: MANAGED_BY, [LABEL.run]: labelValue(run.id), [LABEL.sweep]: labelValue(run.sweepId),
    [LABEL.trial]: run.trialKey, [LABEL.attempt]: String(run.attempt),
  };
  const annotations: Record<string, string> = {
    ...s.annotations, [ANNOTATION.runId]: run.id, [ANNOTATION.sweepId]: run.sweepId, [ANNOTATION.trial]: run.trialName,
  };
  const timeoutS = input.config.timeout !== undefined ? parseDuration(input.config.timeout) : undefined;
  const deadline = timeoutS !== undefined ? Math.max(1, Math.ceil(timeoutS)) : undefined;
  const metadata = { name, namespace: s.namespace, labels, annotations };
  const podFor = (replica: string | undefined, argv: string[], container: string) => ({
    metadata: { labels: { ...labels, [LABEL.job]: name, ...(replica ? { [LABEL.replica]: replica } : {}) }, annotations },
    spec: podSpec(s, input, argv, container),
  });

  if (s.kind === 'Job') {
    return {
      kind: 'Job', namespace: s.namespace, name, settings: s,
      body: {
        apiVersion: 'batch/v1', kind: 'Job', metadata,
        spec: {
          // expctl owns retries (retry:, on_failure:): the Job runs its pod once.
          backoffLimit: 0,
          ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}),
          ...(s.ttl_seconds_after_finished !== undefined ? { ttlSecondsAfterFinished: s.ttl_seconds_after_finished } : {}),
          template: podFor(undefined, argvFor(input, s, false), JOB_CONTAINER),
        },
      },
    };
  }
  const argv = argvFor(input, s, true);
  const replica = (type: string, replicas: number) => ({ replicas, restartPolicy: 'Never', template: podFor(type.toLowerCase(), argv, PYTORCH_CONTAINER) });
  return {
    kind: 'PyTorchJob', namespace: s.namespace, name, settings: s,
    body: {
      apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata,
      spec: {
        runPolicy: {
          backoffLimit: 0,
          cleanPodPolicy: 'Running',
          ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}),
          ...(s.ttl_seconds_after_finished !== undefined ? { ttlSecondsAfterFinished: s.ttl_seconds_after_finished } : {}),
        },
        pytorchReplicaSpecs: {
          Master: replica('Master', 1),
          ...(s.workers > 1 ? { Worker: replica('Worker', s.workers - 1) } : {}),
        },
      },
    },
  };
}

/**
 * The container's argv. Kubernetes expands `$(VAR)` in command and args, so a literal `$(` the user
 * wrote is escaped as `$$(`; only the PyTorchJob launcher mapping uses the operator's variables
 * (RANK, MASTER_ADDR, MASTER_PORT, set per pod).
 */
function argvFor(input: WorkloadInput, s: K8sSettings, pytorchJob: boolean): string[] {
  const { config } = input;
  const l = config.launcher;
  const gpus = gpusRequested(config) || 1;
  // Rendered as locally, minus what only exists on this machine: GPUs are the device plugin's
  // (it sets CUDA_VISIBLE_DEVICES), the rendezvous port is the pod's own.
  let launcher = l;
  if (pytorchJob && l?.type === 'torchrun') launcher = { ...l, nnodes: s.workers, master_port: undefined, rdzv_endpoint: undefined };
  if (pytorchJob && l?.type === 'accelerate') launcher = { ...l, num_machines: s.workers, num_processes: (l.num_processes ?? gpus) * s.workers, main_process_port: undefined, gpu_ids: undefined };
  if (!pytorchJob && l?.type === 'accelerate') launcher = { ...l, gpu_ids: undefined };
  const spec = buildLaunch({ ...config, launcher }, launchContext(input));
  const argv = spec.argv.map((a) => a.replace(/\$\(/g, '$$$$('));
  if (pytorchJob && (l?.type === 'torchrun' || l?.type === 'accelerate')) {
    const at = argv.indexOf(l.type === 'torchrun' ? 'torchrun' : 'launch') + 1;
    const flags = l.type === 'torchrun'
      ? ['--node-rank', '$(RANK)', '--master-addr', '$(MASTER_ADDR)', '--master-port', '$(MASTER_PORT)']
      : ['--machine_rank', '$(RANK)', '--main_process_ip', '$(MASTER_ADDR)', '--main_process_port', '$(MASTER_PORT)'];
    // The port the local mapping adds (POD_PORT) gives way to the operator's.
    const cleaned = argv.filter((a, i) => !(['--master-port', '--main_process_port'].includes(a) || ['--master-port', '--main_process_port'].includes(argv[i - 1])));
    cleaned.splice(at, 0, ...flags);
    return cleaned;
  }
  return argv;
}

function launchContext(input: WorkloadInput) {
  const { run } = input;
  return {
    file: input.experimentFile, runId: run.id, runDir: '', trialName: run.trialName, index: run.index, repeat: run.repeat,
    attempt: run.attempt, paramsFile: '', metricsFile: '', port: POD_PORT, baseEnv: {},
  };
}

/** The container's environment: the experiment's env and expctl's own (the runner's environment never goes to the cluster). */
function containerEnv(input: WorkloadInput, s: K8sSettings): Array<Record<string, unknown>> {
  const spec = buildLaunch({ ...input.config, env: s.env }, launchContext(input));
  // Paths on this machine mean nothing in a pod: metrics come from stdout (@expctl lines), params as JSON.
  const local = new Set(['EXPCTL_RUN_DIR', 'EXPCTL_PARAMS_FILE', 'EXPCTL_METRICS_FILE']);
  const env: Array<Record<string, unknown>> = Object.entries(spec.env).filter(([k]) => !local.has(k)).map(([name, value]) => ({ name, value }));
  env.push({ name: 'EXPCTL_PARAMS', value: JSON.stringify(input.config.params ?? {}) });
  for (const [name, ref] of Object.entries(s.secret_env ?? {})) env.push({ name, valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } } });
  return env;
}

function podSpec(s: K8sSettings, input: WorkloadInput, argv: string[], container: string): Record<string, unknown> {
  const r = s.resources;
  const gpus = gpusRequested({ ...input.config, resources: r });
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r.cpus !== undefined) requests.cpu = String(r.cpus);
  if (r.memory !== undefined) requests.memory = limits.memory = String(r.memory);
  // Extended resources must have requests equal to limits.
  if (gpus > 0) requests[GPU_RESOURCE] = limits[GPU_RESOURCE] = String(gpus);
  const gpuType = gpuTypeOf(r);
  const products = gpuType !== undefined ? input.gpuProducts?.get(gpuType) : undefined;
  const nodeSelector: Record<string, string> = { ...s.node_selector };
  let affinity: Record<string, unknown> | undefined;
  if (gpuType !== undefined && !(GPU_PRODUCT_LABEL in nodeSelector)) {
    if (products?.length) {
      affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: GPU_PRODUCT_LABEL, operator: 'In', values: products }] },
      ] } } };
    } else nodeSelector[GPU_PRODUCT_LABEL] = gpuType;
  }
  const volumes = [...(s.volumes ?? []).map(volumeSource)];
  const mounts = (s.volumes ?? []).map((v) => ({ name: v.name, mountPath: v.mount_path, ...(v.read_only ? { readOnly: true } : {}), ...(v.sub_path ? { subPath: v.sub_path } : {}) }));
  if (s.shm_size !== undefined) {
    volumes.push({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: String(s.shm_size) } });
    mounts.push({ name: 'dshm', mountPath: '/dev/shm' });
  }
  const workdir = input.config.workdir;
  const c: Record<string, unknown> = {
    name: container, image: s.image, command: argv,
    ...(s.image_pull_policy ? { imagePullPolicy: s.image_pull_policy } : {}),
    // Only an absolute workdir means something in the image; else the image's own.
    ...(workdir?.startsWith('/') ? { workingDir: workdir } : {}),
    env: containerEnv(input, s),
    ...(Object.keys(requests).length ? { resources: { requests, ...(Object.keys(limits).length ? { limits } : {}) } } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
  };
  return {
    restartPolicy: 'Never',
    containers: [c],
    ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
    ...(affinity ? { affinity } : {}),
    ...(s.tolerations?.length ? { tolerations: s.tolerations.map(toleration) } : {}),
    ...(s.service_account ? { serviceAccountName: s.service_account } : {}),
    ...(s.image_pull_secrets?.length ? { imagePullSecrets: s.image_pull_secrets.map((name) => ({ name })) } : {}),
    ...(s.priority_class ? { priorityClassName: s.priority_class } : {}),
    ...(volumes.length ? { volumes } : {}),
  };
}

/** The GPU model a run asks for: `gpu_type`, or the TYPE of `gpus: TYPE:N`; undefined for any GPU. */
export function gpuTypeOf(r: Resources): string | undefined {
  return r.gpu_type ?? parseGpuRequest(r.gpus)?.type;
}

function toleration(t: Toleration): Record<string, unknown> {
  return {
    ...(t.key !== undefined ? { key: t.key } : {}), operator: t.operator ?? (t.value !== undefined ? 'Equal' : 'Exists'),
    ...(t.value !== undefined ? { value: t.value } : {}), ...(t.effect ? { effect: t.effect } : {}),
    ...(t.toleration_seconds !== undefined ? { tolerationSeconds: t.toleration_seconds } : {}),
  };
}

function volumeSource(v: Volume): Record<string, unknown> {
  if (v.pvc) return { name: v.name, persistentVolumeClaim: { claimName: v.pvc, ...(v.read_only ? { readOnly: true } : {}) } };
  if (v.host_path) return { name: v.name, hostPath: { path: v.host_path } };
  if (v.config_map) return { name: v.name, configMap: { name: v.config_map } };
  if (v.secret) return { name: v.name, secret: { secretName: v.secret } };
  const e = typeof v.empty_dir === 'object' ? v.empty_dir : {};
  return { name: v.name, emptyDir: { ...(e.medium ? { medium: e.medium } : {}), ...(e.size_limit ? { sizeLimit: e.size_limit } : {}) } };
}
