// The machine's GPUs, from nvidia-smi (or a targets.yaml override). No nvidia-smi = no GPUs:
// runs are CPU-only and CUDA_VISIBLE_DEVICES is left alone.
import { execFile } from 'node:child_process';
import type { GpuSpec } from '../config/types';

export interface GpuInfo { index: number; name: string; memoryTotalMb: number; memoryUsedMb: number; utilization: number }

export const INVENTORY_QUERY = ['--query-gpu=index,name,memory.total,memory.used,utilization.gpu', '--format=csv,noheader,nounits'];

/** Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.used,utilization.gpu --format=csv,noheader,nounits`. */
export function parseInventory(text: string): GpuInfo[] {
  const out: GpuInfo[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 5 || !/^\d+$/.test(cells[0])) continue;
    const num = (s: string) => (Number.isFinite(Number(s)) ? Number(s) : 0); // "[N/A]" on some boards
    out.push({ index: Number(cells[0]), name: cells[1], memoryTotalMb: num(cells[2]), memoryUsedMb: num(cells[3]), utilization: num(cells[4]) });
  }
  return out;
}

/** GPUs from nvidia-smi on PATH; undefined when it is missing or fails. */
export function discoverGpus(nvidiaSmi = 'nvidia-smi'): Promise<GpuInfo[] | undefined> {
  return new Promise((resolve) => {
    execFile(nvidiaSmi, INVENTORY_QUERY, { timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve(undefined);
      const gpus = parseInventory(stdout);
      resolve(gpus.length ? gpus : undefined);
    });
  });
}

/** A local target's `gpus:` override as indices; undefined = discover; [] = CPU-only. */
export function overrideIndices(gpus: Array<number | GpuSpec> | 'none' | undefined): number[] | undefined {
  if (gpus === undefined) return undefined;
  if (gpus === 'none') return [];
  return gpus.map((g) => (typeof g === 'number' ? g : g.index));
}
