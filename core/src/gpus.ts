// A catalog of GPU models that experiments ask for by name (`resources.gpu_type`, `gpus: H100:4`)
// and that nvidia-smi / rocm-smi / Kubernetes node labels report. Used for validation (precision
// support, unknown types) and for completion of gpu_type.

export interface GpuModel {
  /** Canonical name, as completion offers it: `A100`, `RTX 4090`, `MI300X`. */
  name: string;
  /** Other names people and tools use; matched as tolerantly as `name`. */
  aliases: string[];
  /** Architecture (NVIDIA) or CDNA generation (AMD). */
  arch: string;
  /** Memory sizes the model ships with, in GB. */
  memoryGb: number[];
  /** bfloat16 tensor math (Ampere+, CDNA 2+). */
  bf16: boolean;
  /** FP8 tensor math (Ada, Hopper, Blackwell, CDNA 3). */
  fp8: boolean;
  /** CUDA compute capability (`8.0`), or the gfx target for AMD (`gfx942`). */
  computeCapability: string;
}

export const gpuCatalog: GpuModel[] = [
  // Kepler / Maxwell / Pascal / Volta / Turing: no bf16, no fp8.
  { name: 'K80', aliases: ['Tesla K80'], arch: 'Kepler', memoryGb: [12], bf16: false, fp8: false, computeCapability: '3.7' },
  { name: 'M60', aliases: ['Tesla M60'], arch: 'Maxwell', memoryGb: [8], bf16: false, fp8: false, computeCapability: '5.2' },
  { name: 'P100', aliases: ['Tesla P100'], arch: 'Pascal', memoryGb: [12, 16], bf16: false, fp8: false, computeCapability: '6.0' },
  { name: 'P4', aliases: ['Tesla P4'], arch: 'Pascal', memoryGb: [8], bf16: false, fp8: false, computeCapability: '6.1' },
  { name: 'P40', aliases: ['Tesla P40'], arch: 'Pascal', memoryGb: [24], bf16: false, fp8: false, computeCapability: '6.1' },
  { name: 'V100', aliases: ['Tesla V100', 'V100S'], arch: 'Volta', memoryGb: [16, 32], bf16: false, fp8: false, computeCapability: '7.0' },
  { name: 'T4', aliases: ['Tesla T4'], arch: 'Turing', memoryGb: [16], bf16: false, fp8: false, computeCapability: '7.5' },
  { name: 'RTX 2080 Ti', aliases: ['GeForce RTX 2080 Ti', '2080Ti'], arch: 'Turing', memoryGb: [11], bf16: false, fp8: false, computeCapability: '7.5' },
  // Ampere: bf16, no fp8.
  { name: 'A10', aliases: [], arch: 'Ampere', memoryGb: [24], bf16: true, fp8: false, computeCapability: '8.6' },
  { name: 'A10G', aliases: [], arch: 'Ampere', memoryGb: [24], bf16: true, fp8: false, computeCapability: '8.6' },
  { name: 'A16', aliases: [], arch: 'Ampere', memoryGb: [16], bf16: true, fp8: false, computeCapability: '8.6' },
  { name: 'A2', aliases: [], arch: 'Ampere', memoryGb: [16], bf16: true, fp8: false, computeCapability: '8.6' },
  { name: 'A30', aliases: [], arch: 'Ampere', memoryGb: [24], bf16: true, fp8: false, computeCapability: '8.0' },
  { name: 'A40', aliases: [], arch: 'Ampere', memoryGb: [48], bf16: true, fp8: false, computeCapability: '8.6' },
  { name: 'A100', aliases: ['A100-40GB', 'A100-80GB'], arch: 'Ampere', memoryGb: [40, 80], bf16: true, fp8: false, computeCapability: '8.0' },
  { name: 'A800', aliases: [], arch: 'Ampere', memoryGb: [40, 80], bf16: true, fp8: false, computeCapability: '8.0' },
  { name: 'A6000', aliases: ['RTX A6000'], arch: 'Ampere', memoryGb: [48], bf16: true, fp8: false, computeCapability: '8.6' },
  { name: 'A5000', aliases: ['RTX A5000'], arch: 'Ampere', memoryGb: [24], bf16: true, fp8: false, computeCapability: '8.6' },
  { name: 'RTX 3090', aliases: ['GeForce RTX 3090', 'RTX 3090 Ti'], arch: 'Ampere', memoryGb: [24], bf16: true, fp8: false, computeCapability: '8.6' },
  { name: 'RTX 3080', aliases: ['GeForce RTX 3080'], arch: 'Ampere', memoryGb: [10, 12], bf16: true, fp8: false, computeCapability: '8.6' },
  // Ada Lovelace: bf16 and fp8 (compute capability 8.9).
  { name: 'RTX 4090', aliases: ['GeForce RTX 4090'], arch: 'Ada Lovelace', memoryGb: [24], bf16: true, fp8: true, computeCapability: '8.9' },
  { name: 'RTX 6000 Ada', aliases: ['RTX 6000 Ada Generation'], arch: 'Ada Lovelace', memoryGb: [48], bf16: true, fp8: true, computeCapability: '8.9' },
  { name: 'L4', aliases: [], arch: 'Ada Lovelace', memoryGb: [24], bf16: true, fp8: true, computeCapability: '8.9' },
  { name: 'L40', aliases: [], arch: 'Ada Lovelace', memoryGb: [48], bf16: true, fp8: true, computeCapability: '8.9' },
  { name: 'L40S', aliases: [], arch: 'Ada Lovelace', memoryGb: [48], bf16: true, fp8: true, computeCapability: '8.9' },
  // Hopper / Blackwell.
  { name: 'H100', aliases: ['H100 SXM', 'H100 PCIe', 'H100 NVL', 'H800'], arch: 'Hopper', memoryGb: [80, 94], bf16: true, fp8: true, computeCapability: '9.0' },
  { name: 'H200', aliases: ['H200 NVL'], arch: 'Hopper', memoryGb: [141], bf16: true, fp8: true, computeCapability: '9.0' },
  { name: 'GH200', aliases: ['Grace Hopper'], arch: 'Hopper', memoryGb: [96, 144], bf16: true, fp8: true, computeCapability: '9.0' },
  { name: 'B200', aliases: ['B100'], arch: 'Blackwell', memoryGb: [180, 192], bf16: true, fp8: true, computeCapability: '10.0' },
  { name: 'GB200', aliases: [], arch: 'Blackwell', memoryGb: [186, 192], bf16: true, fp8: true, computeCapability: '10.0' },
  // AMD Instinct.
  { name: 'MI210', aliases: ['Instinct MI210'], arch: 'CDNA 2', memoryGb: [64], bf16: true, fp8: false, computeCapability: 'gfx90a' },
  { name: 'MI250X', aliases: ['MI250', 'Instinct MI250X', 'Instinct MI250'], arch: 'CDNA 2', memoryGb: [128], bf16: true, fp8: false, computeCapability: 'gfx90a' },
  { name: 'MI300X', aliases: ['Instinct MI300X'], arch: 'CDNA 3', memoryGb: [192], bf16: true, fp8: true, computeCapability: 'gfx942' },
  { name: 'MI325X', aliases: ['Instinct MI325X'], arch: 'CDNA 3', memoryGb: [256], bf16: true, fp8: true, computeCapability: 'gfx942' },
];

/** Vendor and product-line words that precede the model in tool output (`NVIDIA GeForce RTX 4090`). */
const PREFIX_WORDS = new Set(['nvidia', 'tesla', 'geforce', 'quadro', 'rtx', 'amd', 'instinct', 'radeon']);

/** Words that follow the model: form factor, memory (`SXM4`, `PCIE`, `80GB`, `HBM3`, `MIG 1g.5gb`). */
const SUFFIX_WORD = /^(sxm\d*|pcie|nvl|oam|hbm\d*e?|\d+(\.\d+)?gb?|mig|\d+g\.\d+gb)$/;

/**
 * The comparable key of a GPU name: lower-case, vendor words and form-factor / memory suffixes
 * dropped, separators removed. "NVIDIA A100-SXM4-80GB" → "a100", "NVIDIA GeForce RTX 2080 Ti" → "2080ti".
 */
export function gpuKey(name: string): string {
  return modelWords(name).join('');
}

function modelWords(name: string): string[] {
  const words = name.toLowerCase().split(/[\s_\-/]+/).filter((w) => w !== '');
  let i = 0;
  while (i < words.length - 1 && PREFIX_WORDS.has(words[i])) i++;
  if (i < words.length) words[i] = words[i].replace(/^(rtx|tesla|geforce)(?=[a-z]?\d)/, ''); // "rtx4090"
  const kept: string[] = [];
  for (; i < words.length; i++) {
    if (kept.length > 0 && SUFFIX_WORD.test(words[i])) break;
    kept.push(words[i]);
  }
  return kept;
}

let index: Map<string, GpuModel> | undefined;

function keyIndex(): Map<string, GpuModel> {
  if (!index) {
    index = new Map();
    for (const gpu of gpuCatalog) {
      for (const n of [gpu.name, ...gpu.aliases]) {
        const k = gpuKey(n);
        if (k !== '' && !index.has(k)) index.set(k, gpu);
      }
    }
  }
  return index;
}

/**
 * The catalog entry for a GPU name, matched tolerantly: case-insensitive, ignoring vendor prefixes
 * (`NVIDIA `, `Tesla `, `GeForce `, `AMD Instinct `) and suffixes such as `-SXM4-80GB`, ` PCIe`,
 * ` 80GB HBM3`; Kubernetes `nvidia.com/gpu.product` labels (`NVIDIA-A100-SXM4-80GB`) match too.
 */
export function findGpu(name: string): GpuModel | undefined {
  if (typeof name !== 'string') return undefined;
  const words = modelWords(name);
  // Longest run of leading words first, so "RTX 2080 Ti" is not taken for a shorter name and
  // trailing words we do not know ("AMD Instinct MI250X / MI250") do not prevent a match.
  for (let n = words.length; n > 0; n--) {
    const gpu = keyIndex().get(words.slice(0, n).join(''));
    if (gpu) return gpu;
  }
  return undefined;
}

/** What `resources.gpus` asks for: a number of GPUs, and the model when written `TYPE:N`. */
export interface GpuRequest { count: number; type?: string }

/**
 * `resources.gpus` as written — `3`, `"3"` or `"H100:3"` — or undefined for anything else. The one
 * reading of it: the rules check what the runner and the Kubernetes manifest reserve.
 */
export function parseGpuRequest(v: unknown): GpuRequest | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? { count: v } : undefined;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (/^\d+$/.test(t)) return { count: Number(t) };
  const m = /^(.*\S)\s*:\s*(\d+)$/.exec(t);
  return m ? { count: Number(m[2]), type: m[1] } : undefined;
}

/** Every name and alias in the catalog, for suggestions. */
export function gpuNames(): string[] {
  return gpuCatalog.flatMap((g) => [g.name, ...g.aliases]);
}
