// Helpers the experiment rules share (targets.ts uses some too); not part of the rule contract.
import type { Fix, Path } from '../../diagnostic';
import type { Rule, RuleContext } from '../api';
import { closest, levenshtein, quote } from '../../util/strings';
import { configPaths, isObj } from '../../util/object';
import type { Obj } from '../../util/object';

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** A value as quoted in a message: strings in double quotes, everything else as JSON (YAML for .nan / .inf). */
export function q(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf'; // as YAML writes them
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "a", "a or b", "a, b or c". */
export function orList(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** Case-insensitive closest match among candidates (via util/strings `closest`), in its original spelling. */
export function closestName(word: string, candidates: string[]): string | undefined {
  if (typeof word !== 'string' || word === '') return undefined;
  const lower = word.toLowerCase();
  const byLower = new Map<string, string>();
  for (const c of candidates) {
    if (typeof c !== 'string' || c === word) continue;
    if (c.toLowerCase() === lower) return c; // differs only in case
    if (!byLower.has(c.toLowerCase())) byLower.set(c.toLowerCase(), c);
  }
  const hit = closest(lower, byLower.keys());
  return hit === undefined ? undefined : byLower.get(hit);
}

/**
 * Up to `max` candidates close to `word`, best first: those with the same last dotted segment
 * (`batch_size` → `params.batch_size`), then those within the edit distance `closest` allows.
 */
export function closeMatches(word: string, candidates: string[], max = 3): string[] {
  const lower = word.toLowerCase();
  const last = lower.split('.').pop() ?? lower;
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3))); // as util/strings closest
  const scored: Array<{ c: string; d: number }> = [];
  for (const c of new Set(candidates)) {
    const cl = c.toLowerCase();
    if (cl === lower) continue;
    const d = (cl.split('.').pop() ?? cl) === last ? -1 : levenshtein(lower, cl, limit);
    if (d <= limit) scored.push({ c, d });
  }
  scored.sort((a, b) => a.d - b.d || a.c.localeCompare(b.c));
  return scored.slice(0, max).map((s) => s.c);
}

/** Dotted paths of every mapping key in `o` (arrays are leaves) whose value passes `filter`. */
export function dottedPaths(o: unknown, filter: (v: unknown) => boolean = () => true): string[] {
  // on_failure's keys are themselves dotted paths (`on_failure.oom.scale.params.batch_size`): never a suggestion.
  return configPaths(o, { maxDepth: 6 }).filter(([p, v]) => filter(v) && !p.startsWith('on_failure.')).map(([p]) => p);
}

export function fix(title: string, path: Path, newText: string, preferred = true): Fix {
  return { title, edits: [{ path, target: 'value', newText }], preferred };
}

export function rule(id: string, check: (ctx: RuleContext, config: Obj) => void, wholeExperiment = false): Rule {
  return {
    id,
    kinds: ['experiment'],
    wholeExperiment,
    check(ctx) {
      if (isObj(ctx.config)) check(ctx, ctx.config);
    },
  };
}

/** `x` rounded to `digits` significant digits, as a number (no exponent artefacts like 0.30000000000000004). */
export function roundSig(x: number, digits: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(digits));
}

export function dotted(path: Path): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
}
