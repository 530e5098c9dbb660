// The summary: a headline, one insight per resource, and rule-based recommendations. Every
// recommendation quotes the figures it rests on, and carries them unrounded in `numbers`.
import { epochsOf, type Figures } from './compute';
import { bytes, count, duration, hours, MIB, num, pct } from './format';
import type { Attempt } from './load';
import { quantileSorted } from '../stats/quantile';
import type { Recommendation, ResourceStats, Severity, Summary } from './types';

/** Losses smaller than this many hours are not worth a recommendation. */
const MIN_HOURS = 1;
/** A loss must be at least this share of a resource's hours to be reported… */
const MEDIUM_SHARE = 0.05;
/** …and is high severity from this share on. */
const HIGH_SHARE = 0.15;
/** A resource or GPU type needs this many attempts before it is compared with others. */
const MIN_ATTEMPTS = 20;
/** A GPU type this far (in attempt success rate) below the overall rate is called out. */
const GPU_RATE_GAP = 0.15;
/** Hold/release share of a resource's attempts worth a look. */
const HELD_SHARE = 0.05;
/** A resource's median input transfer at least this many times the others' (and ≥ 60 s) is slow. */
const TRANSFER_FACTOR = 2;
/** A resource needing this many times the hours per epoch of the best one is worth moving from. */
const EPOCH_COST_FACTOR = 1.5;
/** Resources need this many epochs for hours per epoch to be compared. */
const MIN_EPOCHS = 10;
/** GPU efficiency (busy / allocated GPU-hours) below this is worth a look… */
const LOW_GPU_EFFICIENCY = 0.7;
/** …and medium severity below this. */
const POOR_GPU_EFFICIENCY = 0.5;
/** A median used / requested below this: the request is much larger than the need. */
const OVER_REQUEST_SHARE = 0.5;
/** Attempts using more than they requested, as a share, worth a warning. */
const UNDER_REQUEST_SHARE = 0.05;

const RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2 };
const severity = (share: number): Severity => (share >= HIGH_SHARE ? 'high' : share >= MEDIUM_SHARE ? 'medium' : 'low');

export function buildSummary(f: Figures, attempts: Attempt[], hasEpochs: boolean): Summary {
  const o = f.overall;
  const span = f.period.first && f.period.last ? ` from ${f.period.first.slice(0, 10)} to ${f.period.last.slice(0, 10)}` : '';
  const headline = o.attempts === 0
    ? 'No attempts in the report.'
    : `${count(o.attempts, 'attempt')} on ${count(f.resources.length, 'resource')}${span}: `
      + `${hours(o.hours)} execution hours (${hours(o.gpuHours)} GPU-hours), ${pct(o.successRate)} of them successful `
      + `(${pct(o.attemptSuccessRate)} of attempts); ${count(o.epochs, 'epoch')} completed`
      + `${o.hoursPerEpoch !== null ? ` at ${num(o.hoursPerEpoch, 2)} h per epoch` : ''}.`;
  return { headline, insights: f.resources.map(insight), recommendations: recommend(f, attempts, hasEpochs) };
}

function insight(r: ResourceStats): string {
  const parts = [
    `${count(r.attempts, 'attempt')}, ${hours(r.hours)} h (${hours(r.gpuHours)} GPU-h)`,
    `${pct(r.successRate)} of hours successful, ${pct(r.attemptSuccessRate)} of attempts`,
  ];
  if (r.epochs > 0) parts.push(`${count(r.epochs, 'epoch')} at ${num(r.hoursPerEpoch!, 2)} h each`);
  const loss = worstLoss(r);
  if (loss) parts.push(`largest loss: ${loss.status}, ${hours(loss.hours)} h (${pct(loss.hours / r.hours)})`);
  const top = r.gpuMix.find((g) => g.device !== '(none)');
  if (top && r.hours > 0) parts.push(`mostly ${top.device} (${pct(top.hours / r.hours)} of hours)`);
  return `${r.resource}: ${parts.join('; ')}.`;
}

function worstLoss(r: ResourceStats): { status: string; hours: number } | undefined {
  let worst: { status: string; hours: number } | undefined;
  for (const [status, h] of Object.entries(r.statusHours)) {
    if (status === 'completed' || status === 'checkpointed' || h <= 0) continue;
    if (!worst || h > worst.hours) worst = { status, hours: h };
  }
  return worst;
}

function recommend(f: Figures, attempts: Attempt[], hasEpochs: boolean): Recommendation[] {
  const out: Recommendation[] = [];
  const byResource = new Map<string, Attempt[]>();
  const transfers = new Map<string, number[]>();
  for (const a of attempts) {
    let list = byResource.get(a.resource);
    if (!list) byResource.set(a.resource, (list = []));
    list.push(a);
    if (a.transferSeconds !== undefined) {
      let t = transfers.get(a.resource);
      if (!t) transfers.set(a.resource, (t = []));
      t.push(a.transferSeconds);
    }
  }
  let allTransfers: Float64Array | undefined;
  const comparable = f.resources.filter((r) => r.attempts >= MIN_ATTEMPTS && r.successRate !== null);

  for (const r of f.resources) {
    const mine = byResource.get(r.resource) ?? [];

    // Evictions: work lost since the last checkpoint.
    const evicted = r.statusHours.evicted ?? 0;
    if (evicted >= MIN_HOURS && evicted / r.hours >= MEDIUM_SHARE) {
      const runs = Float64Array.from(mine.filter((a) => a.status === 'evicted' && a.execSeconds !== undefined), (a) => a.execSeconds!).sort();
      const median = runs.length ? quantileSorted(runs, 0.5) : NaN;
      const better = comparable.filter((c) => c.resource !== r.resource && c.successRate! > (r.successRate ?? 0))
        .sort((x, y) => y.successRate! - x.successRate!)[0];
      out.push({
        rule: 'eviction-cost', severity: severity(evicted / r.hours), resource: r.resource,
        text: `evictions on ${r.resource} cost ${hours(evicted)} h (${pct(evicted / r.hours)} of its hours; `
          + `${count(r.statusCounts.evicted, 'attempt')}, evicted after a median ${duration(median)}): checkpoint more often`
          + (better ? ` or prefer ${better.resource} whose success rate is ${pct(better.successRate)}` : ''),
        numbers: {
          hours: evicted, shareOfHours: evicted / r.hours, attempts: r.statusCounts.evicted, medianSecondsBeforeEviction: median,
          ...(better ? { alternativeSuccessRate: better.successRate! } : {}),
        },
      });
    }

    // Failures: which job type and GPU they cluster on.
    const failed = r.statusHours.failed ?? 0;
    if (failed >= MIN_HOURS && failed / r.hours >= MEDIUM_SHARE) {
      const fails = mine.filter((a) => a.status === 'failed');
      const [type, typeCount] = top(fails.map((a) => a.jobType));
      const [gpu, gpuCount] = top(fails.map((a) => a.gpuDevice || '(none)'));
      out.push({
        rule: 'failure-cost', severity: severity(failed / r.hours), resource: r.resource,
        text: `failed attempts on ${r.resource} cost ${hours(failed)} h (${pct(failed / r.hours)} of its hours, ${count(fails.length, 'attempt')}); `
          + `${num(typeCount)} were ${type} jobs and ${num(gpuCount)} ran on ${gpu}: read their logs before resubmitting`,
        numbers: { hours: failed, shareOfHours: failed / r.hours, attempts: fails.length, topJobTypeAttempts: typeCount, topGpuAttempts: gpuCount },
      });
    }

    // Holds: a requirement or quota problem that retries will not fix.
    const held = (r.statusCounts.held ?? 0) + (r.statusCounts.released ?? 0);
    if (held >= 5 && held / r.attempts >= HELD_SHARE) {
      const h = (r.statusHours.held ?? 0) + (r.statusHours.released ?? 0);
      out.push({
        rule: 'held', severity: severity(held / r.attempts), resource: r.resource,
        text: `${count(held, 'attempt')} on ${r.resource} ended held or released (${pct(held / r.attempts)} of its attempts, ${hours(h)} h): `
          + 'check the hold reasons (condor_q -hold) and fix requirements or quotas before releasing',
        numbers: { attempts: held, shareOfAttempts: held / r.attempts, hours: h },
      });
    }

    // Input transfer: slow staging delays every attempt on the resource.
    const t = r.transferInput;
    if (t && t.count >= MIN_ATTEMPTS) {
      allTransfers ??= new Float64Array([...transfers.values()].flat()).sort();
      const others = withoutSorted(allTransfers, new Float64Array(transfers.get(r.resource)!).sort());
      const othersMedian = others.length ? quantileSorted(others, 0.5) : NaN;
      if (others.length > 0 && t.median >= 60 && t.median >= TRANSFER_FACTOR * othersMedian) {
        out.push({
          rule: 'slow-transfer', severity: t.median >= 4 * othersMedian ? 'medium' : 'low', resource: r.resource,
          text: `input transfer on ${r.resource} takes a median ${duration(t.median)} (p95 ${duration(t.p95)}, ${count(t.count, 'attempt')}, ${hours(r.transferInputHours)} h in all) `
            + `vs ${duration(othersMedian)} elsewhere: cache the inputs near the jobs (e.g. OSDF) or make them smaller`,
          numbers: { medianSeconds: t.median, p95Seconds: t.p95, attempts: t.count, othersMedianSeconds: othersMedian, hours: r.transferInputHours },
        });
      }
    }
  }

  // GPU types that fail far more often than the rest.
  const o = f.overall;
  if (o.attemptSuccessRate !== null) {
    for (const g of o.gpuMix) {
      if (g.device === '(none)' || g.attempts < MIN_ATTEMPTS || g.attemptSuccessRate === null) continue;
      const gap = o.attemptSuccessRate - g.attemptSuccessRate;
      if (gap < GPU_RATE_GAP) continue;
      out.push({
        rule: 'gpu-type', severity: gap >= 2 * GPU_RATE_GAP ? 'high' : 'medium',
        text: `attempts on ${g.device}${g.memoryMb !== null ? ` (${num(g.memoryMb)} MB)` : ''} succeed ${pct(g.attemptSuccessRate)} of the time `
          + `vs ${pct(o.attemptSuccessRate)} overall (${count(g.attempts, 'attempt')}, ${hours(g.unsuccessfulHours)} h unsuccessful): `
          + 'exclude it, or require more GPU memory if the failures are out-of-memory',
        numbers: { attemptSuccessRate: g.attemptSuccessRate, overallAttemptSuccessRate: o.attemptSuccessRate, attempts: g.attempts, hours: g.unsuccessfulHours, ...(g.memoryMb !== null ? { memoryMb: g.memoryMb } : {}) },
      });
    }
  }

  // GPU efficiency: allocated GPUs that sat idle (waiting on input, CPU-bound loaders, small batches).
  for (const r of f.resources) {
    const eff = r.gpuEfficiency;
    if (eff === null || eff >= LOW_GPU_EFFICIENCY || (r.gpuUtilization?.count ?? 0) < MIN_ATTEMPTS) continue;
    const allocated = r.busyGpuHours / Math.max(eff, Number.MIN_VALUE);
    const idle = allocated - r.busyGpuHours;
    if (idle < MIN_HOURS) continue;
    out.push({
      rule: 'gpu-efficiency', severity: eff < POOR_GPU_EFFICIENCY ? 'medium' : 'low', resource: r.resource,
      text: `GPUs on ${r.resource} were busy ${pct(eff)} of their allocated time (median utilisation ${num(r.gpuUtilization!.median, 1)}%; `
        + `idle: ${hours(idle)} h of ${hours(allocated)} GPU-hours): look for input stalls (transfer, data loaders) or use larger batches`,
      numbers: { gpuEfficiency: eff, medianUtilization: r.gpuUtilization!.median, hours: idle, allocatedGpuHours: allocated },
    });
  }

  // Requests against use: too large a request waits for bigger slots; too small a one gets jobs held or killed.
  for (const [kind, what] of [['memory', 'memory'], ['cpus', 'CPUs'], ['disk', 'disk']] as const) {
    const u = o.usage[kind];
    if (!u || u.attempts < MIN_ATTEMPTS || !u.usedShare) continue;
    // sizes in the tables' units (MiB columns)
    const amount = (x: number) => (kind === 'cpus' ? `${num(x, 2)} CPUs` : bytes(x * MIB));
    if (u.usedShare.median < OVER_REQUEST_SHARE) {
      out.push({
        rule: 'over-request', severity: 'low',
        text: `jobs use a median ${pct(u.usedShare.median)} of the ${what} they request (mean ${amount(u.usedMean)} used of `
          + `${amount(u.requestedMean)} requested, ${count(u.attempts, 'attempt')}): request less, and more slots will match`,
        numbers: { medianUsedShare: u.usedShare.median, usedMean: u.usedMean, requestedMean: u.requestedMean, attempts: u.attempts },
      });
    }
    if (u.overRequest / u.attempts >= UNDER_REQUEST_SHARE) {
      out.push({
        rule: 'under-request', severity: kind === 'cpus' ? 'low' : 'medium',
        text: `${count(u.overRequest, 'attempt')} (${pct(u.overRequest / u.attempts)}) used more ${what} than they requested `
          + `(up to ${pct(u.usedShare.max)} of the request): raise the request for those jobs before the pool holds or kills them`,
        numbers: { attempts: u.overRequest, share: u.overRequest / u.attempts, maxUsedShare: u.usedShare.max },
      });
    }
  }

  const epochCost = hoursPerEpoch(attempts, hasEpochs);
  if (epochCost) out.push(epochCost);

  // RESCUED: DAGMan lost track of the job; the work is redone.
  const rescued = o.statusCounts.rescued ?? 0;
  if (rescued > 0) {
    const h = o.statusHours.rescued ?? 0;
    out.push({
      rule: 'rescued', severity: 'low',
      text: `${count(rescued, 'attempt')} ${rescued === 1 ? 'was' : 'were'} RESCUED (DAGMan lost track of them), ${hours(h)} h: check the DAGMan log for schedd restarts or lost job logs`,
      numbers: { attempts: rescued, hours: h },
    });
  }

  return out.sort((x, y) => RANK[x.severity] - RANK[y.severity] || (y.numbers.hours ?? 0) - (x.numbers.hours ?? 0));
}

/**
 * Where the main workload costs least execution time per completed epoch. Resources are compared
 * on the same work — one DAG source's job type (e.g. gb1_lr_sweep's train jobs) — because a
 * bigger model costs more per epoch anywhere; the work with the most epochs is the one reported.
 */
function hoursPerEpoch(attempts: Attempt[], hasEpochs: boolean): Recommendation | undefined {
  type Work = { dag: string; type: string; epochs: number; by: Map<string, { seconds: number; epochs: number }> };
  const work = new Map<string, Map<string, Work>>(); // DAG source → job type → work
  for (const a of attempts) {
    let types = work.get(a.dagSource);
    if (!types) work.set(a.dagSource, (types = new Map()));
    let w = types.get(a.jobType);
    if (!w) types.set(a.jobType, (w = { dag: a.dagSource, type: a.jobType, epochs: 0, by: new Map() }));
    let r = w.by.get(a.resource);
    if (!r) w.by.set(a.resource, (r = { seconds: 0, epochs: 0 }));
    const e = epochsOf(a, hasEpochs);
    r.seconds += a.execSeconds ?? 0;
    r.epochs += e;
    w.epochs += e;
  }
  const main = [...work.values()].flatMap((types) => [...types.values()]).sort((x, y) => y.epochs - x.epochs)[0];
  if (!main) return undefined;
  const rated = [...main.by].filter(([, v]) => v.epochs >= MIN_EPOCHS).map(([resource, v]) => ({ resource, h: v.seconds / 3600 / v.epochs, ...v }))
    .sort((x, y) => x.h - y.h);
  if (rated.length < 2) return undefined;
  const best = rated[0];
  const worst = rated[rated.length - 1];
  const factor = worst.h / best.h;
  if (factor < EPOCH_COST_FACTOR) return undefined;
  const what = `${main.dag ? `${main.dag} ` : ''}${main.type} jobs`;
  const extra = worst.seconds / 3600 - worst.epochs * best.h;
  return {
    rule: 'hours-per-epoch', severity: 'medium', resource: worst.resource,
    text: `for ${what}, ${best.resource} needs ${num(best.h, 2)} h of execution per completed epoch vs ${num(worst.h, 2)} h on ${worst.resource} `
      + `(${num(factor, 1)}×; the ${count(worst.epochs, 'epoch')} on ${worst.resource} took ${hours(extra)} h more than they would on ${best.resource}): `
      + `move them toward ${best.resource} where its queue allows`,
    numbers: { bestHoursPerEpoch: best.h, worstHoursPerEpoch: worst.h, factor, worstEpochs: worst.epochs, hours: extra },
  };
}

/** The sorted values of `all` less those of `some` (a sorted sub-multiset of it): one merge pass, no sort. */
function withoutSorted(all: Float64Array, some: Float64Array): Float64Array {
  const out = new Float64Array(all.length - some.length);
  let j = 0;
  let k = 0;
  for (let i = 0; i < all.length; i++) {
    if (j < some.length && all[i] === some[j]) j++;
    else out[k++] = all[i];
  }
  return out;
}

/** The most frequent value and its count (first seen wins a tie). */
function top(values: string[]): [string, number] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: [string, number] = ['', 0];
  for (const [k, c] of counts) if (c > best[1]) best = [k, c];
  return best;
}
