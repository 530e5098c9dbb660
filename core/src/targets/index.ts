// From a target's name to a Target: `--target`, else the sweep's or experiment's `target:`, else
// targets.yaml's `default:`, else this machine.
import * as os from 'node:os';
import * as path from 'node:path';
import type { TargetsFile } from '../config/types';
import { closest } from '../util/strings';
import type { Target } from './api';
import { kubeconfigPath } from '../k8s/kubeconfig';
import { kubernetesTarget } from './kubernetes';
import { localTarget } from './local';

export class TargetError extends Error {}

/** `targetsFile`: the absolute path of the targets.yaml the targets came from (relative paths in it resolve from there). */
export function resolveTarget(name: string | undefined, targets: TargetsFile | undefined, targetsFile?: string): Target {
  const chosen = name ?? targets?.default;
  if (chosen === undefined) return localTarget();
  const config = targets?.targets?.[chosen];
  if (!config) {
    if (chosen === 'local') return localTarget();
    const known = Object.keys(targets?.targets ?? {});
    const hint = closest(chosen, known);
    const shown = targetsFile && path.relative(process.cwd(), targetsFile);
    throw new TargetError(`unknown target '${chosen}'${shown ? ` (${shown} defines: ${known.join(', ') || 'none'})` : ' (no targets.yaml found)'}${hint ? ` — did you mean '${hint}'?` : ''}`);
  }
  if (config.type === 'kubernetes') {
    // Unset: the client's own default ($KUBECONFIG, every file of it merged as kubectl does; then ~/.kube/config).
    const kubeconfig = config.kubeconfig ? kubeconfigPath(config.kubeconfig, targetsFile ?? path.resolve('targets.yaml'), process.env, os.homedir()) : undefined;
    return kubernetesTarget(chosen, config, { kubeconfig });
  }
  return localTarget(chosen, config);
}
