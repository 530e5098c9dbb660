// The shape of expctl's three file kinds, as TypeScript types. schemas/*.json is the source of
// truth for validation and editor docs; these types mirror it for the code that consumes a
// validated, resolved config. Keep the two in step (test/unit/schemas.test.ts checks examples).

export type Goal = 'minimize' | 'maximize';
export type MixedPrecision = 'no' | 'fp16' | 'bf16' | 'fp8';
/** Classes `retry.on` and `on_failure` name; `evicted` happens on Kubernetes (eviction, preemption). */
export type FailureClass = 'oom' | 'timeout' | 'nonzero' | 'signal' | 'evicted';

export interface AccelerateLauncher {
  type: 'accelerate';
  num_processes?: number;
  /** "0,1,2", "all", or a list of GPU indices: a request for exactly those physical GPUs. */
  gpu_ids?: string | number[];
  mixed_precision?: MixedPrecision;
  /** `auto` (default): a free port per attempt. */
  main_process_port?: number | 'auto';
  num_machines?: number;
  /** Extra arguments passed to `accelerate launch` before the script. */
  args?: string[];
}

export interface TorchrunLauncher {
  type: 'torchrun';
  nproc_per_node?: number | 'gpu' | 'auto';
  nnodes?: number | string;
  node_rank?: number;
  /** `auto` (default): a free port per attempt. */
  master_port?: number | 'auto';
  rdzv_backend?: string;
  rdzv_endpoint?: string;
  args?: string[];
}

export type Launcher = { type: 'none' } | AccelerateLauncher | TorchrunLauncher;

export interface Resources {
  /** A count (`3`) or `TYPE:N` (`H100:3`). */
  gpus?: number | string;
  gpu_type?: string;
  cpus?: number;
  /** Kubernetes quantity: `32Gi`, `500Mi`, `1G`. Enforced locally too (the process group's RSS). */
  memory?: string;
}

export interface Retry {
  max_retries?: number;
  /** Seconds before the first retry (default 1); retry n waits backoff_initial_s × backoff_base_s^(n−1), capped. */
  backoff_initial_s?: number;
  backoff_base_s?: number;
  max_backoff_s?: number;
  /** true = up to 100% of the wait, a number = that fraction of it. */
  jitter?: boolean | number;
  /** Failure classes to retry on; integers are exit codes. */
  on?: Array<FailureClass | number>;
}

export interface OnOom {
  /** Dotted path of the parameter to scale, e.g. `params.batch_size`. */
  param: string;
  factor?: number;
  min?: number;
}

/** What to change before a retry after one class of failure; changes accumulate over the retries. */
export interface FailureAction {
  /** Dotted path → factor; integers stay integers (rounded down). */
  scale?: Record<string, number>;
  /** Lowest value of the scaled parameters: one for all, or per dotted path. */
  min?: number | Record<string, number>;
  /** Dotted path → value. */
  set?: Record<string, unknown>;
  /** Variables added to `env:`, rendered the same way. */
  env?: Record<string, string>;
}

/** `on_failure`: an action per failure class (`nonzero` is any `exit:N`). */
export interface OnFailure {
  oom?: FailureAction;
  timeout?: FailureAction;
  nonzero?: FailureAction;
  signal?: FailureAction;
  evicted?: FailureAction;
}

export interface Metrics {
  primary?: string;
  goal?: Goal;
  /** Default stdout and file; `kafka` reads `kafka` below (rule metrics-source-kafka requires it). */
  sources?: Array<'stdout' | 'file' | 'kafka'>;
  /** The topic runs produce metrics to, keyed by EXPCTL_RUN_ID (core/src/runner/kafka-metrics.ts). */
  kafka?: MetricsKafka;
  /** A run that exits 0 without reporting the primary metric fails (`no_metric`) instead of warning. */
  required?: boolean;
  /** name → expression, computed when a run ends (core/src/stats/derive.ts). */
  derived?: Record<string, string>;
}

export interface MetricsKafka {
  bootstrap_servers: string | string[];
  /** SASL/TLS; passwords by reference only (core/src/kafka/client.ts). */
  security?: import('../kafka/client').KafkaSecurity;
  topic: string;
}

export interface KafkaData {
  bootstrap_servers: string | string[];
  /** SASL/TLS; passwords by reference only (core/src/kafka/client.ts). Default: the target's kafka.security. */
  security?: import('../kafka/client').KafkaSecurity;
  topic: string;
  /** `partition:start:end`, inclusive offsets. */
  offsets?: string[];
  format?: 'avro' | 'json';
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** Train/validation/test rates; must sum to 1. */
  split?: number[];
  group_id?: string;
  schema_registry?: string;
  /** Topic that metrics are produced to by distributed runs. */
  metrics_topic?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  toleration_seconds?: number;
}

export interface Volume {
  name: string;
  mount_path: string;
  pvc?: string;
  host_path?: string;
  empty_dir?: boolean | { medium?: 'Memory' | ''; size_limit?: string };
  config_map?: string;
  secret?: string;
  read_only?: boolean;
  sub_path?: string;
}

export interface KubernetesSpec {
  image?: string;
  namespace?: string;
  kind?: 'Job' | 'PyTorchJob';
  workers?: number;
  node_selector?: Record<string, string>;
  tolerations?: Toleration[];
  volumes?: Volume[];
  service_account?: string;
  image_pull_secrets?: string[];
  image_pull_policy?: 'Always' | 'IfNotPresent' | 'Never';
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ttl_seconds_after_finished?: number;
  priority_class?: string;
  /** Size of a memory-backed /dev/shm (a quantity such as `16Gi`): PyTorch data loaders need more than the default 64 MiB. */
  shm_size?: string;
  /** Container env from Secrets, by name: `{ WANDB_API_KEY: { secret: wandb, key: api-key } }` — never the value. */
  secret_env?: Record<string, { secret: string; key: string }>;
  /** How long a pod may stay Pending as unschedulable before the attempt fails `unschedulable` (default 10m). */
  schedule_timeout?: string | number;
  /** How long an image pull or container config error may last before the attempt fails, not retried (default 2m). */
  start_timeout?: string | number;
}

export interface Experiment {
  $schema?: string;
  name: string;
  description?: string;
  /** Path(s) relative to this file, deep-merged under this file. */
  extends?: string | string[];
  /** argv array; a string only with `shell: true`. */
  command: string[] | string;
  shell?: boolean;
  launcher?: Launcher;
  workdir?: string;
  env?: Record<string, string>;
  params?: Record<string, unknown>;
  resources?: Resources;
  target?: string;
  repeat?: number;
  retry?: Retry;
  on_oom?: OnOom;
  on_failure?: OnFailure;
  /** Seconds, or a duration such as `90s`, `15m`, `2h`, `1h30m`. */
  timeout?: string | number;
  metrics?: Metrics;
  data?: { kafka?: KafkaData };
  kubernetes?: KubernetesSpec;
  tags?: string[];
}

/** One parameter of a sweep, keyed by dotted path (`params.learning_rate`). */
export type ParamSpec =
  | { values: unknown[] }
  | { value: unknown }
  | { range: { min: number; max: number; step: number } }
  | { distribution: 'uniform' | 'log_uniform' | 'int_uniform'; min: number; max: number; q?: number }
  | { distribution: 'normal'; mu: number; sigma: number; q?: number }
  | { distribution: 'choice'; values: unknown[]; probabilities?: number[] };

export interface Sweep {
  $schema?: string;
  name?: string;
  description?: string;
  /** Path of the experiment file, relative to this file. Exactly one of experiment / base. */
  experiment?: string;
  /** An inline experiment instead of a file. */
  base?: Experiment;
  method: 'grid' | 'random' | 'list';
  parameters?: Record<string, ParamSpec>;
  /** method: list — each entry maps dotted paths to values. */
  trials?: Array<Record<string, unknown>>;
  /** method: random — number of trials to draw. */
  samples?: number;
  seed?: number;
  repeat?: number;
  max_parallel?: number;
  name_template?: string;
  metric?: { name: string; goal?: Goal };
  /** Derived metrics of this sweep's runs, over the experiment's (core/src/stats/derive.ts). */
  metrics?: { derived?: Record<string, string> };
  /** A trial matching every key of any rule is dropped; a list value matches any of its items. */
  exclude?: Array<Record<string, unknown>>;
  target?: string;
}

export interface GpuSpec {
  index: number;
  name?: string;
  memory_mb?: number;
}

export interface LocalTarget {
  type: 'local';
  description?: string;
  /** Override nvidia-smi discovery: indices, full specs, or `none` for CPU-only. */
  gpus?: Array<number | GpuSpec> | 'none';
  max_parallel?: number;
  workdir?: string;
  env?: Record<string, string>;
  /** Kafka defaults for experiments on this target (used when data.kafka has no security of its own). */
  kafka?: { security?: import('../kafka/client').KafkaSecurity };
}

export interface KubernetesTarget {
  type: 'kubernetes';
  description?: string;
  context?: string;
  kubeconfig?: string;
  namespace?: string;
  image?: string;
  image_pull_policy?: KubernetesSpec['image_pull_policy'];
  service_account?: string;
  max_parallel?: number;
  /** Default resources for runs on this target (the experiment's own win). */
  resources?: Resources;
  labels?: Record<string, string>;
  node_selector?: Record<string, string>;
  tolerations?: Toleration[];
  priority_class?: string;
  ttl_seconds_after_finished?: number;
  schedule_timeout?: string | number;
  start_timeout?: string | number;
  defaults?: { kubernetes?: KubernetesSpec; resources?: Resources; env?: Record<string, string> };
  kafka?: { security?: import('../kafka/client').KafkaSecurity };
}

export type Target = LocalTarget | KubernetesTarget;

export interface TargetsFile {
  $schema?: string;
  default?: string;
  targets: Record<string, Target>;
}

export type FileKind = 'experiment' | 'sweep' | 'targets';
