// `expctl check` and the Kafka preflight `expctl run` does before launching: the data each trial
// reads from Kafka is there (broker, topic, partitions, offset ranges, format, compression).
import * as path from 'node:path';
import { formatDiagnostic } from '../../core/src/diagnostic';
import { checkPlan, usesOfPlan } from '../../core/src/kafka/check';
import { summaryLine } from '../../core/src/kafka/preflight';
import type { Plan } from '../../core/src/runner/runner';
import type { TargetsFile } from '../../core/src/config/types';
import { diskHost, UsageError } from './common';

const rel = (f: string) => path.relative(process.cwd(), f) || f;

/** `--timeout S` as milliseconds (default 5 s). */
export function timeoutMs(v: string | undefined): number {
  if (v === undefined) return 5000;
  const s = Number(v);
  if (!(s > 0 && s <= 600)) throw new UsageError(`--timeout takes seconds between 0 and 600, e.g. --timeout 3, got "${v}"`);
  return Math.round(s * 1000);
}

/**
 * Runs the Kafka preflight of `trials` (default: all of the plan's) and prints problems as
 * `file:line:col: severity: message [rule]` on stdout, notes and the summary on stderr.
 * Returns the number of errors, or undefined when no trial reads from Kafka.
 */
export async function kafkaPreflight(plan: Plan, o: { timeoutMs?: number; targets?: { file: string; targets?: TargetsFile }; trials?: Set<number> } = {}): Promise<number | undefined> {
  const p = o.trials ? { ...plan, trials: plan.trials.filter((t) => o.trials!.has(t.index)) } : plan;
  if (!usesOfPlan(p, diskHost, o.targets).length) return undefined;
  const { report, placed } = await checkPlan(p, diskHost, { timeoutMs: o.timeoutMs, targets: o.targets });
  placed.sort((a, b) => a.file.localeCompare(b.file) || a.diagnostic.range.start.line - b.diagnostic.range.start.line || a.diagnostic.range.start.character - b.diagnostic.range.start.character);
  for (const x of placed) process.stdout.write(`${formatDiagnostic(rel(x.file), x.diagnostic)}\n`);
  for (const n of report.notes) process.stderr.write(`expctl: note: ${n}\n`);
  const errors = placed.filter((x) => x.diagnostic.severity === 'error').length;
  process.stderr.write(`${summaryLine(report)}: ${errors ? `${errors} problem${errors === 1 ? '' : 's'}` : 'ok'}\n`);
  return errors;
}
