// The launcher (accelerate, torchrun): launcher-gpu-ids, and the processes it starts per node,
// which the gpu-count rule weighs against the GPUs.
import type { Path } from '../../diagnostic';
import { isObj, own } from '../../util/object';
import { parseGpuIds } from '../../runner/launch';
import { fix, isInt, plural, q, rule } from './common';

export const launcherGpuIds = rule('launcher-gpu-ids', (ctx, c) => {
  const launcher = own(c, 'launcher');
  if (!isObj(launcher) || own(launcher, 'type') !== 'accelerate') return;
  const raw = own(launcher, 'gpu_ids');
  const path: Path = ['launcher', 'gpu_ids'];
  const ids = parseGpuIds(raw);
  if (ids === 'all') return;
  if (ids === undefined) {
    if (typeof raw === 'string') {
      ctx.report({
        rule: 'launcher-gpu-ids',
        severity: 'error',
        path,
        message: `launcher.gpu_ids ${q(raw)} is not a list of GPU indices; write "all" or comma-separated indices such as "0,1,2"`,
      });
    }
    return; // unset, or a list with non-integers, which the schema reports
  }
  const idPaths: Path[] = ids.map((_, i) => (Array.isArray(raw) ? [...path, i] : path));

  const seen = new Set<number>();
  ids.forEach((id, k) => {
    if (seen.has(id)) {
      ctx.report({
        rule: 'launcher-gpu-ids',
        severity: 'error',
        path: idPaths[k],
        message: `launcher.gpu_ids lists GPU ${id} twice (${q(raw)}); each process needs its own GPU, so list each index once`,
      });
    }
    seen.add(id);
  });

  const np = own(launcher, 'num_processes');
  if (isInt(np) && np !== ids.length) {
    ctx.report({
      rule: 'launcher-gpu-ids',
      severity: 'error',
      path,
      message: `launcher.gpu_ids ${q(raw)} lists ${plural(ids.length, 'GPU')} but launcher.num_processes is ${np}; `
        + `accelerate runs one process per GPU, so list ${plural(np, 'GPU id')} or set num_processes to ${ids.length}`,
      fixes: ids.length > 0 ? [fix(`Set launcher.num_processes to ${ids.length}`, ['launcher', 'num_processes'], String(ids.length))] : undefined,
    });
  }
});

interface Processes { perNode: number; field: Path; describe: string; machines: number }

/** Processes per node that the launcher starts, when it says so with numbers. */
export function launcherProcesses(launcher: unknown): Processes | undefined {
  if (!isObj(launcher)) return undefined;
  const type = own(launcher, 'type');
  if (type === 'accelerate') {
    const np = own(launcher, 'num_processes');
    if (!isInt(np) || np < 1) return undefined;
    const nm = own(launcher, 'num_machines');
    // accelerate's num_processes is the total over all machines.
    if (isInt(nm) && nm > 1) {
      if (np % nm !== 0) return undefined;
      return { perNode: np / nm, field: ['launcher', 'num_processes'], machines: nm,
        describe: `launcher.num_processes is ${np} over ${nm} machines, ${np / nm} per machine` };
    }
    return { perNode: np, field: ['launcher', 'num_processes'], machines: 1, describe: `launcher.num_processes is ${np}` };
  }
  if (type === 'torchrun') {
    const n = own(launcher, 'nproc_per_node');
    if (!isInt(n) || n < 1) return undefined;
    return { perNode: n, field: ['launcher', 'nproc_per_node'], machines: 1, describe: `launcher.nproc_per_node is ${n}` };
  }
  return undefined;
}
