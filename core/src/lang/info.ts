// What the editor's code lenses need about a file: its kind, whether it has errors, how many
// trials a sweep expands to and with what parallelism, and which targets it can run on.
import type { Sweep, Experiment } from '../config/types';
import type { Validation } from '../validate';
import { countTrials } from '../sweep';
import { runName, sweepIdFor } from '../store/store';

export interface FileInfo {
  kind?: 'experiment' | 'sweep' | 'targets';
  name?: string;
  errors: number;
  warnings: number;
  /** Line (0-based) where the lens goes: the first key of the first document. */
  line: number;
  /** Sweeps: trial count (exact unless exclude rules apply), method, max parallel. */
  trials?: { count: number; exact: boolean };
  method?: string;
  maxParallel?: number;
  /** Targets the file can run on: `local` plus those of the nearest targets.yaml. */
  targets: string[];
  /** Those this version can launch (local ones). */
  launchable: string[];
  defaultTarget?: string;
  experimentFile?: string;
  targetsFile?: string;
  /** Sweeps and experiments: the id their runs get in the results store. */
  sweepId?: string;
}

export function fileInfo(v: Validation): FileInfo {
  const vd = v.docs[0];
  const errors = v.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = v.diagnostics.filter((d) => d.severity === 'warning').length;
  const start = vd?.ydoc.doc.contents?.range?.[0] ?? 0;
  const info: FileInfo = { kind: vd?.kind, errors, warnings, line: v.parsed.lines.linePos(start).line - 1, targets: ['local'], launchable: ['local'] };
  if (!vd?.kind) return info;
  const cfg = (vd.config ?? {}) as Record<string, unknown>;
  if (typeof cfg.name === 'string') info.name = cfg.name;
  const targetsFile = vd.kind === 'targets' ? cfg as { targets?: object; default?: unknown } : vd.targets;
  if (targetsFile?.targets && typeof targetsFile.targets === 'object') {
    const entries = Object.entries(targetsFile.targets as Record<string, { type?: unknown } | null>);
    info.targets = [...new Set(['local', ...entries.map(([k]) => k)])];
    info.launchable = [...new Set(['local', ...entries.filter(([, t]) => t?.type === 'local').map(([k]) => k)])];
  }
  if (typeof targetsFile?.default === 'string') info.defaultTarget = targetsFile.default;
  info.targetsFile = vd.targetsFile;
  if (vd.kind !== 'targets') info.sweepId = sweepIdFor(runName(vd.kind, cfg, v.file), v.file);
  if (vd.kind === 'sweep') {
    const sweep = cfg as unknown as Sweep;
    const c = countTrials(sweep);
    // Beyond 2^53 the count itself is rounded.
    info.trials = { count: c.error ? 0 : c.count, exact: c.exact && Number.isSafeInteger(c.count) };
    info.method = typeof sweep.method === 'string' ? sweep.method : 'grid';
    info.maxParallel = typeof sweep.max_parallel === 'number' ? sweep.max_parallel : 1;
    info.experimentFile = vd.experimentFile;
    if (!info.name && vd.experiment) info.name = (vd.experiment as Experiment).name;
  }
  return info;
}
