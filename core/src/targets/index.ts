// From a target's name to a Target: `--target`, else the sweep's or experiment's `target:`, else
// targets.yaml's `default:`, else this machine.
import type { TargetsFile } from '../config/types';
import { closest } from '../util/strings';
import type { Target } from './api';
import { localTarget } from './local';

export class TargetError extends Error {}

export function resolveTarget(name: string | undefined, targets: TargetsFile | undefined, targetsFile?: string): Target {
  const chosen = name ?? targets?.default;
  if (chosen === undefined) return localTarget();
  const config = targets?.targets?.[chosen];
  if (!config) {
    if (chosen === 'local') return localTarget();
    const known = Object.keys(targets?.targets ?? {});
    const hint = closest(chosen, known);
    throw new TargetError(`unknown target '${chosen}'${targetsFile ? ` (${targetsFile} defines: ${known.join(', ') || 'none'})` : ' (no targets.yaml found)'}${hint ? ` — did you mean '${hint}'?` : ''}`);
  }
  if (config.type === 'kubernetes') {
    throw new TargetError(`target '${chosen}' is a Kubernetes target; this version of expctl launches on local targets only — run with --target local`);
  }
  return localTarget(chosen, config);
}
