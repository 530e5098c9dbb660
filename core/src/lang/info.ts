// What the editor's code lenses need about a file: its kind, whether it has errors, how many
// trials a sweep expands to and with what parallelism, and which targets it can run on.
import type { Sweep, Experiment } from '../config/types';
import type { Validation } from '../validate';
import { countTrials, expandSweep, trialConfig } from '../sweep';
import { configHash, sweepIdOf, sweptKeysOf } from '../runner/resume';

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
  defaultTarget?: string;
  experimentFile?: string;
  targetsFile?: string;
  /** Sweeps and experiments: the id their runs get in the results store. */
  sweepId?: string;
  /**
   * Trial key → config hash as the runner would record it now (up to MAX_HASHED_TRIALS trials), so
   * that the editor counts the trials whose last run has another hash: `changed`.
   */
  trialHashes?: Record<string, string>;
}

/** Beyond this many trials the lenses do not count changed ones (hashing every trial on each edit costs too much). */
export const MAX_HASHED_TRIALS = 2000;

function hashesOf(experiment: Experiment, experimentFile: string, sweep: Sweep): Record<string, string> | undefined {
  const ex = expandSweep(sweep, experiment, { limit: MAX_HASHED_TRIALS, exactTotal: false });
  if (ex.truncated) return undefined;
  const scripts = new Map<string, string>();
  return Object.fromEntries(ex.trials.map((t) => [t.key, configHash(trialConfig(experiment, t), experimentFile, scripts)]));
}

export function fileInfo(v: Validation): FileInfo {
  const vd = v.docs[0];
  const errors = v.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = v.diagnostics.filter((d) => d.severity === 'warning').length;
  const start = vd?.ydoc.doc.contents?.range?.[0] ?? 0;
  const info: FileInfo = { kind: vd?.kind, errors, warnings, line: v.parsed.lines.linePos(start).line - 1, targets: ['local'] };
  if (!vd?.kind) return info;
  const cfg = (vd.config ?? {}) as Record<string, unknown>;
  if (typeof cfg.name === 'string') info.name = cfg.name;
  const targetsFile = vd.kind === 'targets' ? cfg as { targets?: object; default?: unknown } : vd.targets;
  if (targetsFile?.targets && typeof targetsFile.targets === 'object') {
    info.targets = [...new Set(['local', ...Object.keys(targetsFile.targets)])];
  }
  if (typeof targetsFile?.default === 'string') info.defaultTarget = targetsFile.default;
  info.targetsFile = vd.targetsFile;
  // Only a file without errors can run: ids and hashes of a broken one would mislead.
  if (errors === 0 && vd.kind === 'experiment' && typeof cfg.name === 'string') {
    const exp = cfg as unknown as Experiment;
    info.sweepId = sweepIdOf('experiment', cfg, exp.name);
    info.trialHashes = hashesOf(exp, v.file, { method: 'list', trials: [{}], repeat: exp.repeat ?? 1 });
  }
  const experiment = vd.experiment as Experiment | undefined;
  if (errors === 0 && vd.kind === 'sweep' && experiment && typeof experiment.name === 'string') {
    info.sweepId = sweepIdOf('sweep', cfg, experiment.name, sweptKeysOf(cfg as unknown as Sweep));
    info.trialHashes = hashesOf(experiment, vd.experimentFile ?? v.file, cfg as unknown as Sweep);
  }
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
