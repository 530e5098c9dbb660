// Semantic rules for `*.experiment.yaml`, one file per topic. They run after JSON Schema validation,
// but the config can still be schema-invalid in places, so every rule checks types before use and
// never throws.
import type { Rule } from '../api';
import { commandShell, fileExists, launchLimits } from './command';
import { k8sGpus, k8sName, k8sPytorchJob, k8sQuantity, k8sSecretEnv } from './kubernetes';
import { launcherGpuIds } from './launcher';
import { gpuCount, gpuType, precisionSupport } from './resources';
import { onOomParam, retryBackoff } from './retry';
import { kafkaOffsets, kafkaPartitionDuplicate, kafkaSplitSum, metricsSourceKafka } from './sources';
import { unknownTarget } from './target';
import { templateVar } from './templates';
import { timeout } from './timeouts';

export { closestName, fix, q } from './common';
export { findScript } from './command';
export { checkK8sGpus, checkKubernetesSpec, checkSecretEnv, checkShmSize, sanitizeK8sName } from './kubernetes';
export { normaliseSplit } from './sources';
export { checkTargetReference, targetNames } from './target';
export { checkK8sTimeouts } from './timeouts';

// The order of this list is the order of the diagnostics: keep it.
export const experimentRules: Rule[] = [
  commandShell,
  launchLimits,
  kafkaSplitSum,
  kafkaOffsets,
  kafkaPartitionDuplicate,
  metricsSourceKafka,
  launcherGpuIds,
  gpuCount,
  gpuType,
  precisionSupport,
  templateVar,
  fileExists,
  k8sName,
  k8sPytorchJob,
  k8sSecretEnv,
  k8sQuantity,
  k8sGpus,
  onOomParam,
  retryBackoff,
  unknownTarget,
  timeout,
];
