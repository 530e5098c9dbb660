// Resources and GPUs: gpu-count, gpu-type and precision-support.
import type { Path } from '../../diagnostic';
import { findGpu, gpuCatalog, gpuKey, parseGpuRequest, type GpuModel, type GpuRequest } from '../../gpus';
import { levenshtein } from '../../util/strings';
import { yamlString } from '../../util/yaml-scalar';
import { at, isObj, own } from '../../util/object';
import { fix, orList, plural, q, rule } from './common';
import { launcherProcesses } from './launcher';

function gpusText(raw: unknown, req: GpuRequest, count: number): string {
  return typeof raw === 'string' && req.type !== undefined ? JSON.stringify(`${req.type}:${count}`) : String(count);
}

function sameGpu(a: string, b: string): boolean {
  const ga = findGpu(a);
  return a.trim().toLowerCase() === b.trim().toLowerCase() || (ga !== undefined && ga === findGpu(b));
}

export const gpuCount = rule('gpu-count', (ctx, c) => {
  const resources = own(c, 'resources');
  const rawGpus = own(resources, 'gpus');
  const req = parseGpuRequest(rawGpus);
  const procs = launcherProcesses(own(c, 'launcher'));

  if (procs && rawGpus === undefined && procs.perNode > 1) {
    ctx.report({
      rule: 'gpu-count',
      severity: 'warning',
      path: ['launcher'],
      message: `${procs.describe} but resources.gpus is not set, so no GPUs are reserved for the ${procs.perNode} processes; `
        + `add resources.gpus: ${procs.perNode}`,
      fixes: [{
        title: `Add resources.gpus: ${procs.perNode}`,
        edits: [isObj(resources)
          ? { path: ['resources'], target: 'insert', newText: `gpus: ${procs.perNode}` }
          : { path: [], target: 'insert', newText: `resources: { gpus: ${procs.perNode} }` }],
        preferred: true,
      }],
    });
  }

  if (procs && req && req.count > 0) {
    const P = procs.perNode;
    const G = req.count;
    const shown = typeof rawGpus === 'string' ? q(rawGpus) : String(rawGpus);
    if (P > G) {
      ctx.report({
        rule: 'gpu-count',
        severity: 'error',
        path: ['resources', 'gpus'],
        message: `${P} ${P === 1 ? 'process needs' : 'processes need'} ${plural(P, 'GPU')} but resources.gpus is ${shown} `
          + `(${procs.describe}, one process per GPU); set resources.gpus to ${gpusText(rawGpus, req, P)} or launch at most ${plural(G, 'process', 'processes')}`,
        fixes: [fix(`Set resources.gpus to ${gpusText(rawGpus, req, P)}`, ['resources', 'gpus'], gpusText(rawGpus, req, P))],
      });
    } else if (P < G) {
      const newNp = G * procs.machines;
      ctx.report({
        rule: 'gpu-count',
        severity: 'warning',
        path: ['resources', 'gpus'],
        message: `resources.gpus is ${shown} but only ${plural(P, 'process', 'processes')} will use them (${procs.describe}), `
          + `so ${plural(G - P, 'GPU')} would sit idle; set ${procs.field.join('.')} to ${newNp} or resources.gpus to ${gpusText(rawGpus, req, P)}`,
        fixes: [
          fix(`Set ${procs.field.join('.')} to ${newNp}`, procs.field, String(newNp)),
          fix(`Set resources.gpus to ${gpusText(rawGpus, req, P)}`, ['resources', 'gpus'], gpusText(rawGpus, req, P), false),
        ],
      });
    }
  }

  const gpuType = own(resources, 'gpu_type');
  if (req?.type !== undefined && typeof gpuType === 'string' && gpuType.trim() !== '' && !sameGpu(req.type, gpuType)) {
    ctx.report({
      rule: 'gpu-count',
      severity: 'error',
      path: ['resources', 'gpu_type'],
      message: `resources.gpus ${q(rawGpus)} asks for ${req.type} but resources.gpu_type is ${q(gpuType)}; `
        + `name one GPU type: drop gpu_type or change it to ${q(req.type)}`,
      fixes: [fix(`Change gpu_type to ${q(req.type)}`, ['resources', 'gpu_type'], yamlString(req.type))],
    });
  }
}, true);

export const gpuType = rule('gpu-type', (ctx, c) => {
  const resources = own(c, 'resources');
  const check = (type: string, path: Path, label: string, replacement: (name: string) => string) => {
    if (type.trim() === '' || findGpu(type)) return;
    const guesses = closestGpus(type);
    ctx.report({
      rule: 'gpu-type',
      severity: 'warning',
      path,
      message: `Unknown GPU type ${q(type)} in ${label}; `
        + (guesses.length > 0
          ? `did you mean ${orList(guesses)}?`
          : 'expected a model such as A100, H100, L40S, T4 or MI300X (completion lists them all); '
            + 'check the spelling, or ignore this if your cluster names GPUs its own way'),
      fixes: guesses.length > 0
        ? guesses.map((g, k) => fix(`Change to ${q(replacement(g))}`, path, yamlString(replacement(g)), k === 0))
        : undefined,
    });
  };
  const gpuType = own(resources, 'gpu_type');
  if (typeof gpuType === 'string') check(gpuType, ['resources', 'gpu_type'], 'resources.gpu_type', (n) => n);
  const raw = own(resources, 'gpus');
  const req = parseGpuRequest(raw);
  if (req?.type !== undefined) {
    check(req.type, ['resources', 'gpus'], `resources.gpus ${q(raw)}`, (n) => `${n}:${req.count}`);
  }
});

/**
 * Catalog names closest to an unknown GPU name, comparing the tolerant keys (`nvidia h10` ~ `H100`):
 * those at the smallest edit distance (within the limit util/strings `closest` uses) that share
 * the longest prefix with it, so `H10` suggests H100 rather than A10, and `L40X` both L40 and L40S.
 */
function closestGpus(type: string): string[] {
  const key = gpuKey(type);
  if (key === '') return [];
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 3)));
  const prefix = (a: string, b: string) => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
  };
  let best: Array<{ name: string; d: number; p: number }> = [];
  for (const g of gpuCatalog) {
    for (const n of [g.name, ...g.aliases]) {
      const k = gpuKey(n);
      const d = levenshtein(key, k, limit);
      if (d > limit) continue;
      const cand = { name: g.name, d, p: prefix(key, k) };
      if (best.length === 0 || d < best[0].d || (d === best[0].d && cand.p > best[0].p)) best = [cand];
      else if (d === best[0].d && cand.p === best[0].p && !best.some((b) => b.name === g.name)) best.push(cand);
    }
  }
  return best.slice(0, 3).map((b) => b.name);
}

function describeGpu(g: GpuModel): string {
  const cc = /^\d/.test(g.computeCapability) ? `compute capability ${g.computeCapability}` : g.computeCapability;
  return `${g.name} (${g.arch}, ${cc})`;
}

export const precisionSupport = rule('precision-support', (ctx, c) => {
  const mp = at(c, 'launcher', 'mixed_precision');
  if (mp !== 'bf16' && mp !== 'fp8') return;
  const resources = own(c, 'resources');
  const typeField = own(resources, 'gpu_type');
  const fromGpus = parseGpuRequest(own(resources, 'gpus'))?.type;
  let gpu: GpuModel | undefined;
  let source = '';
  if (typeof typeField === 'string' && findGpu(typeField)) {
    gpu = findGpu(typeField);
    source = 'resources.gpu_type';
  } else if (fromGpus !== undefined && findGpu(fromGpus)) {
    gpu = findGpu(fromGpus);
    source = 'resources.gpus';
  }
  if (!gpu) return;
  const path: Path = ['launcher', 'mixed_precision'];
  if (mp === 'bf16' && !gpu.bf16) {
    ctx.report({
      rule: 'precision-support',
      severity: 'error',
      path,
      message: `mixed_precision "bf16" needs bfloat16 support, which ${describeGpu(gpu)} from ${source} does not have `
        + '(bf16 needs NVIDIA Ampere / compute capability 8.0 or newer, or AMD CDNA 2+); use "fp16"',
      fixes: [fix('Use fp16', path, 'fp16')],
    });
  } else if (mp === 'fp8' && !gpu.fp8) {
    ctx.report({
      rule: 'precision-support',
      severity: 'error',
      path,
      message: `mixed_precision "fp8" needs FP8 tensor cores, which ${describeGpu(gpu)} from ${source} does not have `
        + '(fp8 needs NVIDIA Ada / Hopper / Blackwell, compute capability 8.9 or newer, or AMD MI300X); '
        + (gpu.bf16 ? `use "fp16", or "bf16" which ${gpu.name} supports` : 'use "fp16"'),
      fixes: gpu.bf16
        ? [fix('Use fp16', path, 'fp16', false), fix('Use bf16', path, 'bf16', true)]
        : [fix('Use fp16', path, 'fp16')],
    });
  }
}, true);
