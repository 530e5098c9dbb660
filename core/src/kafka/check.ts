// The Kafka preflight of a planned file (experiment or sweep), with each problem placed where the
// user wrote the value: in the sweep where a swept parameter set it, else in the experiment file (or
// the sweep's inline base:), through extends like any diagnostic. Shared by `expctl check`, the
// pre-launch check of `expctl run`, and the language server.
import * as path from 'node:path';
import type { Diagnostic, Path } from '../diagnostic';
import type { Experiment, Sweep, TargetsFile } from '../config/types';
import type { FileHost } from '../rules/api';
import type { Plan } from '../runner/runner';
import { trialConfig } from '../sweep';
import { deepEqual } from '../sweep/expand';
import { findTargets, rangeOfPath, validateText } from '../validate';
import type { Validation } from '../validate';
import { preflightKafka } from './preflight';
import type { KafkaProblem, KafkaUse, PreflightOptions, PreflightReport } from './preflight';

export interface PlacedProblem {
  /** Absolute path of the file the diagnostic is in. */
  file: string;
  diagnostic: Diagnostic;
  problem: KafkaProblem;
}

/** The data.kafka of every trial of a plan, with the target's kafka.security default. */
export function usesOfPlan(plan: Plan, host: FileHost, targets?: { file: string; targets?: TargetsFile }): KafkaUse[] {
  const found = targets ?? findTargets(plan.experimentFile, host);
  const baseDir = path.dirname(plan.experimentFile);
  const uses: KafkaUse[] = [];
  for (const t of plan.trials) {
    const config: Experiment = plan.method === 'experiment' ? plan.experiment : trialConfig(plan.experiment, t);
    const kafka = config.data?.kafka;
    if (!kafka || typeof kafka !== 'object') continue;
    const name = config.target ?? plan.target ?? found?.targets?.default;
    const target = name ? found?.targets?.targets?.[name] : undefined;
    uses.push({ kafka, baseDir, trial: t.index, targetSecurity: target?.kafka?.security, targetBaseDir: found ? path.dirname(found.file) : undefined });
  }
  return uses;
}

const dotted = (p: Path) => p.filter((x) => typeof x === 'string').join('.');

/**
 * Places problems: `file` is the planned file (validated from `text`, which the editor may hold
 * unsaved). A problem whose value a swept parameter sets goes on that parameter's value in the sweep.
 */
export function placeProblems(plan: Plan, v: Validation, host: FileHost, problems: KafkaProblem[]): PlacedProblem[] {
  const out: PlacedProblem[] = [];
  const doc = v.docs[0];
  if (!doc) return out;
  const isSweep = doc.kind === 'sweep';
  const sweep = isSweep ? doc.config as Sweep : undefined;
  const names = (ids: number[]) => {
    if (!isSweep || ids.length === plan.trials.length) return '';
    const shown = ids.slice(0, 3).map((i) => plan.trials.find((t) => t.index === i)?.name ?? `#${i}`);
    return ` (${ids.length} of ${plan.trials.length} trials: ${shown.join(', ')}${ids.length > 3 ? ', …' : ''})`;
  };
  let experimentV: Validation | undefined;
  for (const p of problems) {
    const key = dotted(p.path);
    const trial = plan.trials.find((t) => t.index === p.trials[0]);
    // The swept key that sets this value, if any (data.kafka.topic, or all of data.kafka).
    const swept = trial && Object.keys(trial.params).filter((k) => key === k || key.startsWith(`${k}.`)).sort((a, b) => b.length - a.length)[0];
    let where: Path | undefined;
    if (sweep && swept !== undefined) {
      const value = trial!.params[swept];
      if (sweep.method === 'list' && Array.isArray(sweep.trials)) {
        const j = sweep.trials.findIndex((e) => e && typeof e === 'object' && deepEqual(e[swept], value));
        where = j >= 0 ? ['trials', j, swept] : ['trials'];
      } else {
        const values = (sweep.parameters?.[swept] as { values?: unknown[] } | undefined)?.values;
        const j = Array.isArray(values) ? values.findIndex((x) => deepEqual(x, value)) : -1;
        where = j >= 0 ? ['parameters', swept, 'values', j] : ['parameters', swept];
      }
    } else if (sweep && sweep.base) {
      where = ['base', ...p.path];
    }
    if (where || !isSweep) {
      const at = rangeOfPath(v, doc, where ?? p.path, host);
      out.push({ file: v.file, problem: p, diagnostic: { range: at.range, severity: p.severity, rule: p.rule, message: `${p.message}${names(p.trials)}${at.note ? ` ${at.note}` : ''}` } });
      continue;
    }
    // From the sweep's experiment file.
    const expFile = plan.experimentFile;
    if (!experimentV) {
      const text = host.readFile(expFile);
      experimentV = text === undefined ? undefined : validateText(expFile, text, host);
    }
    const edoc = experimentV?.docs[0];
    const at = experimentV && edoc ? rangeOfPath(experimentV, edoc, p.path, host) : { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
    out.push({ file: expFile, problem: p, diagnostic: { range: at.range, severity: p.severity, rule: p.rule, message: `${p.message}${names(p.trials)}${'note' in at && at.note ? ` ${at.note}` : ''}` } });
  }
  return out;
}

/** Preflight of a plan, placed. `v`: the planned file's validation (re-validated from disk when omitted). */
export async function checkPlan(plan: Plan, host: FileHost, o: PreflightOptions & { validation?: Validation; targets?: { file: string; targets?: TargetsFile } } = {}): Promise<{ report: PreflightReport; placed: PlacedProblem[] }> {
  const uses = usesOfPlan(plan, host, o.targets);
  const report = await preflightKafka(uses, o);
  const v = o.validation ?? validateText(plan.file, host.readFile(plan.file) ?? '', host);
  return { report, placed: placeProblems(plan, v, host, report.problems) };
}
