// A comparison of groups of runs, as `expctl compare` prints it and the Compare panel shows it:
// ranking with ratios to the best, each group tested against the best (Welch's t, Mann–Whitney U,
// a bootstrap interval of the difference of medians), and — for groups that are whole campaigns —
// speedup and parallel efficiency of wall time per trial. Pure: values in, a plain JSON object out.
import { rankGroups, speedup } from './compare';
import type { Direction } from './compare';
import { describe } from './describe';
import type { Description } from './describe';
import { bootstrapMedianDifference } from './bootstrap';
import { mannWhitneyU, welchTTest } from './hypothesis';
import type { Value } from './sample';

export interface ComparedGroup {
  key: string;
  values: ArrayLike<Value>;
  ids?: ArrayLike<string>;
  /** For campaigns: wall time from the first start to the last end, and the runs at once. */
  wallS?: number;
  workers?: number;
  /** Per-trial durations (seconds), for the per-trial speedup. */
  trialS?: ArrayLike<Value>;
  /**
   * The work the wall time delivered: trials that succeeded. When every campaign has it, speedup is
   * of wall time per trial, so a sequential subset of a grid still compares with the whole grid.
   */
  trials?: number;
  /**
   * The trial keys it ran (succeeded): speedup compares campaigns of the same trials, or a subset
   * with the whole; campaigns of different trials get no speedup, with the reason.
   */
  trialKeys?: readonly string[];
  /** With ComparisonOptions.work: Σ of that metric over its runs — speedup per unit of it instead of per trial. */
  work?: number;
}

export interface ComparisonRow {
  key: string;
  rank: number;
  /** The centre used to rank (median or mean). */
  value: number;
  ratio: number | undefined;
  n: number;
  excluded: number;
  summary: Description;
  /** The group's wall time, when it is a whole campaign. */
  wallS?: number;
  /** Against the best group (absent on the best itself). */
  vsBest?: {
    welchP: number | undefined;
    mannWhitneyP: number | undefined;
    /** Bootstrap interval of median(this) − median(best). */
    medianDiff: { observed: number; low: number; high: number; level: number } | undefined;
  };
  /**
   * Against the group with the most wall time per trial (the sequential baseline). `perTrial`: the
   * two ran different numbers of trials (`trials`, `baselineTrials`), so the speedup is of wall time
   * per trial; with equal counts it is the ratio of wall times.
   */
  speedup?: {
    speedup: number; efficiency: number; workers: number; trialSpeedup: number | undefined; baseline: string;
    perTrial: boolean; trials: number | undefined; baselineTrials: number | undefined;
    /** With ComparisonOptions.work: the speedup is of wall time per unit of that metric (`trials` are then units). */
    per?: string;
  };
  /** Why a campaign has no speedup against the baseline (they ran different trials). */
  noSpeedup?: string;
}

export interface Comparison {
  metric: string;
  goal: Direction;
  by: 'median' | 'mean';
  rows: ComparisonRow[];
  /** Groups without one usable value, with why. */
  empty: { key: string; message: string }[];
}

export interface ComparisonOptions {
  metric: string;
  goal?: Direction;
  by?: 'median' | 'mean';
  /** Bootstrap seed and resamples (deterministic for a seed). */
  seed?: number;
  resamples?: number;
  /** Speedup per unit of this metric (ComparedGroup.work) rather than per trial: campaigns that did different amounts of work. */
  work?: string;
}

export function compareGroups(groups: readonly ComparedGroup[], o: ComparisonOptions): Comparison {
  const goal = o.goal ?? 'minimize';
  const by = o.by ?? 'median';
  const ranking = rankGroups(groups, { by, direction: goal });
  const byKey = new Map(groups.map((g) => [g.key, g]));
  const best = ranking.ranked[0] ? byKey.get(ranking.ranked[0].key) : undefined;
  const timed = groups.filter((g) => g.wallS !== undefined && g.wallS > 0);
  // The slowest campaign is the baseline — per trial when every one says how many it ran, since a
  // sequential subset of a grid can take less wall time than the whole grid in parallel.
  // Units of work: the --work metric's total when every campaign has it, else trials that succeeded.
  const byWork = o.work !== undefined && timed.every((g) => g.work !== undefined && g.work > 0);
  const counted = byWork || timed.every((g) => g.trials !== undefined && g.trials >= 1);
  const trialsOf = (g: ComparedGroup) => (byWork ? g.work : counted ? g.trials : undefined);
  const cost = (g: ComparedGroup) => g.wallS! / (trialsOf(g) ?? 1);
  const baseline = timed.length > 1 ? timed.reduce((a, b) => (cost(b) > cost(a) ? b : a)) : undefined;
  const rows: ComparisonRow[] = [];
  for (const r of ranking.ranked) {
    const g = byKey.get(r.key)!;
    const summary = describe(g.values, { ids: g.ids });
    if (summary.empty) continue; // rankGroups already listed it as empty
    const row: ComparisonRow = { key: r.key, rank: r.rank, value: r.value, ratio: r.ratio, n: r.n, excluded: r.excluded, summary, ...(g.wallS !== undefined ? { wallS: g.wallS } : {}) };
    if (best && g !== best) {
      const w = welchTTest(g.values, best.values);
      const mw = mannWhitneyU(g.values, best.values);
      const bs = bootstrapMedianDifference(g.values, best.values, { seed: o.seed, resamples: o.resamples });
      row.vsBest = {
        welchP: w.empty ? undefined : w.p,
        mannWhitneyP: mw.empty ? undefined : mw.p,
        medianDiff: bs.empty ? undefined : { observed: bs.observed, low: bs.low, high: bs.high, level: bs.level },
      };
    }
    const different = baseline && g !== baseline && !byWork ? differentTrials(g, baseline) : undefined;
    if (different) row.noSpeedup = different;
    else if (baseline && g !== baseline && g.wallS !== undefined && g.wallS > 0) {
      const s = speedup({
        sequentialS: baseline.wallS!, parallelS: g.wallS, workers: g.workers ?? 1, sequentialTrialsS: baseline.trialS, parallelTrialsS: g.trialS,
        sequentialTrials: trialsOf(baseline), parallelTrials: trialsOf(g),
      });
      row.speedup = {
        speedup: s.speedup, efficiency: s.efficiency, workers: s.workers, trialSpeedup: s.trialSpeedup, baseline: baseline.key,
        perTrial: s.perTrial || byWork, trials: trialsOf(g), baselineTrials: trialsOf(baseline), ...(byWork ? { per: o.work } : {}),
      };
    }
    rows.push(row);
  }
  return { metric: o.metric, goal, by, rows, empty: ranking.empty.map((e) => ({ key: e.key, message: e.message })) };
}

/**
 * Why two campaigns' wall times cannot be compared, or undefined: each ran trials the other did not
 * (a subset of the other's is fine — the ratio is then per trial). Two unrelated sweeps gave
 * "efficiency 218%" before this check.
 */
function differentTrials(g: ComparedGroup, base: ComparedGroup): string | undefined {
  if (!g.trialKeys || !base.trialKeys) return undefined;
  const a = new Set(g.trialKeys);
  const b = new Set(base.trialKeys);
  let common = 0;
  for (const k of a) if (b.has(k)) common++;
  if (common === a.size || common === b.size) return undefined;
  return `no speedup against ${base.key}: they ran different trials (${a.size} and ${b.size}, ${common} in common) — compare campaigns of the same trials, or per unit of work with --work METRIC`;
}
