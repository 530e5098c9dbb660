// Statistics benchmark, writes bench/results/stats.json.
//
// (1) A 1,000,000-value summary — drop non-finite values, q1/median/q3, boxplot stats (whiskers and
//     outliers with their input positions), mean, std, min, max, 95% t interval, geometric mean —
//     expctl's describe() against the same work in numpy (np.quantile + boolean masks, as
//     matplotlib's boxplot_stats does it), on the same float64 data written to bench/.work/.
// (2) Grouping 10,000 runs × 20 metrics by a parameter and summarizing every group × metric, from
//     run records and from runs.csv-style rows; pandas groupby().describe() on the same table as a
//     reference point (it computes less: no whiskers, outliers, intervals).
// (3) Paired tests on 1,000,000 pairs — Wilcoxon signed-rank and the paired t-test — against
//     scipy.stats.wilcoxon + ttest_rel on the same float64 pairs, p-values checked equal first.
//     `--paired` runs only this part and updates the `paired` section of bench/results/stats.json.
// Each figure is the median of REPEATS timed runs after WARMUP untimed ones, timed inside each
// process (interpreter start-up and file loading excluded), as wall time and as CPU time of the
// process (less disturbed by other jobs on a shared machine; Node's includes its GC threads).
//
//   node --import tsx bench/stats.ts [--paired]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, writeResults } from './meta';
import { describe, groupItems, summarizeGroups, isEmpty, pairedTTest, wilcoxonSignedRank, type GroupItem } from '../core/src/stats';
import type { RunRecord } from '../core/src/store/store';
import { mulberry32, normal } from '../core/src/sweep/prng';

const WORK = join(ROOT, 'bench', '.work');
const VENV = join(ROOT, '.cache', 'pyref');
const PYTHON = join(VENV, 'bin', 'python');
const N = 1_000_000;
const RUNS = 10_000;
const METRICS = 20;
const REPEATS = 11;
const WARMUP = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 2) => Number(x.toFixed(d));

interface Timing { ms: number; cpuMs: number }

function timeIt(f: () => unknown): Timing {
  for (let i = 0; i < WARMUP; i++) f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ms: median(wall), cpuMs: median(cpu) };
}

/** Latencies in ms: log-normal (median 12 ms, σ 0.45) with one value in 1,000 missing (NaN). */
function latencies(): Float64Array {
  const rng = mulberry32(20261123);
  const x = new Float64Array(N);
  for (let i = 0; i < N; i++) x[i] = i % 1000 === 999 ? NaN : Math.exp(Math.log(12) + 0.45 * normal(rng, 0, 1));
  return x;
}

/** Runs with params.lr in 5 groups and 20 metrics each; every 50th run lacks metric m3. */
function runs(): RunRecord[] {
  const rng = mulberry32(7);
  const lrs = [0.1, 0.03, 0.01, 0.003, 0.001];
  return Array.from({ length: RUNS }, (_, i) => {
    const summary: RunRecord['summary'] = {};
    for (let m = 0; m < METRICS; m++) {
      if (m === 3 && i % 50 === 0) continue;
      const last = 1 + m + rng();
      summary[`m${m}`] = { last, min: last * 0.9, max: last * 3, mean: last * 1.5, count: 100 };
    }
    return {
      schema_version: 1, id: `run-${i}`, sweep_id: 'bench', experiment: 'train', experiment_file: 'train.experiment.yaml',
      trial: { index: i, key: `k${i}`, name: `t${i}`, repeat: 0 }, params: { 'params.lr': lrs[i % lrs.length] }, target: 'local',
      status: 'succeeded', created: '2026-11-23T00:00:00Z', attempts: [], host: 'bench', summary,
    };
  });
}

/** The same runs as runs.csv rows (FileStore.writeTables: a column per parameter path, `<metric>.last` …). */
function rows(rs: RunRecord[]): Record<string, string>[] {
  return rs.map((r) => {
    const row: Record<string, string> = { run_id: r.id, 'params.lr': String(r.params['params.lr']) };
    for (let m = 0; m < METRICS; m++) {
      const s = r.summary[`m${m}`];
      for (const f of ['last', 'min', 'max', 'mean'] as const) row[`m${m}.${f}`] = s ? String(s[f]) : '';
    }
    return row;
  });
}

const metricNames = Array.from({ length: METRICS }, (_, m) => `m${m}`);
function groupAndSummarize(items: readonly GroupItem[]): number {
  const groups = groupItems(items, { by: 'params.lr', metrics: metricNames });
  let outliers = 0;
  for (const m of metricNames) {
    for (const g of summarizeGroups(groups, m)) if (!isEmpty(g.summary)) outliers += g.summary.box.outliers.length;
  }
  return outliers;
}

/** Median wall and CPU ms of `repeats` calls after `warmup`: the one timing rule of both Python scripts. */
const PY_TIMED = String.raw`def timed(f):
    for _ in range(warmup):
        f()
    wall, cpu = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        f()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"ms": sorted(wall)[repeats // 2], "cpuMs": sorted(cpu)[repeats // 2]}
`;

const PY = String.raw`
import json, sys, time
import numpy as np, pandas as pd, scipy
from scipy import stats
path, groups_path, repeats, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
raw = np.fromfile(path, dtype=np.float64)

def summary(raw):
    finite = np.isfinite(raw)
    x = raw[finite]
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    iqr = q3 - q1
    lo, hi = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    # matplotlib.cbook.boxplot_stats
    wiskhi = x[x <= hi]
    whishi = q3 if len(wiskhi) == 0 or wiskhi.max() < q3 else wiskhi.max()
    wisklo = x[x >= lo]
    whislo = q1 if len(wisklo) == 0 or wisklo.min() > q1 else wisklo.min()
    idx = np.concatenate([np.nonzero(x < whislo)[0], np.nonzero(x > whishi)[0]])
    positions = np.flatnonzero(finite)[idx]
    outliers = x[idx]
    n = len(x)
    mean, std, mn, mx = x.mean(), x.std(ddof=1), x.min(), x.max()
    sem = std / np.sqrt(n)
    ci = (stats.t.ppf(0.025, n - 1) * sem + mean, stats.t.ppf(0.975, n - 1) * sem + mean)
    gmean = float(np.exp(np.mean(np.log(x)))) if mn > 0 else None
    return {"n": int(n), "q1": float(q1), "median": float(med), "q3": float(q3), "mean": float(mean), "std": float(std),
            "whiskerLow": float(whislo), "whiskerHigh": float(whishi), "outliers": int(len(outliers)),
            "firstOutlierPosition": int(positions[0]) if len(positions) else None, "ciLow": float(ci[0]), "gmean": gmean}

${PY_TIMED}
result = summary(raw)
summary_t = timed(lambda: summary(raw))
df = pd.read_json(groups_path)
group_t = timed(lambda: df.groupby("lr").describe())
versions = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__, "pandas": pd.__version__}
print(json.dumps({"versions": versions, "summary": result, "numpy": summary_t, "pandasGroup": group_t}))
`;

interface PyResult {
  versions: { python: string; numpy: string; scipy: string; pandas: string };
  summary: Record<string, number | null>;
  numpy: Timing;
  pandasGroup: Timing;
}

/** The pinned reference venv; created (python3 -m venv + pip) when missing, as scripts/reference/stats.py documents. */
function ensureVenv(): void {
  if (existsSync(PYTHON)) return;
  console.log(`creating ${VENV} (python3 -m venv + pip install -r scripts/reference/requirements.txt)…`);
  execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  execFileSync(join(VENV, 'bin', 'pip'), ['install', '-q', '-r', join(ROOT, 'scripts', 'reference', 'requirements.txt')], { stdio: 'inherit' });
}

/**
 * Two measurements of 1,000,000 cells: b = a·(1 + 0.05·z) − 0.002 ms, so the paired p-values are
 * moderate (neither 0 nor 1) and comparable digit by digit; continuous, so no ties (asymptotic).
 */
function pairs(a: Float64Array): Float64Array {
  const rng = mulberry32(20261202);
  const b = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) b[i] = Number.isFinite(a[i]) ? a[i] * (1 + 0.05 * normal(rng, 0, 1)) - 0.002 : a[i];
  return b;
}

const PY_PAIRED = String.raw`
import json, sys, time
import numpy as np, scipy
from scipy import stats
a, b = np.fromfile(sys.argv[1], dtype=np.float64), np.fromfile(sys.argv[2], dtype=np.float64)
repeats, warmup = int(sys.argv[3]), int(sys.argv[4])
keep = np.isfinite(a) & np.isfinite(b)
a, b = a[keep], b[keep]

def paired():
    return stats.wilcoxon(a, b), stats.ttest_rel(a, b)

${PY_TIMED}
w, t = paired()
print(json.dumps({"scipy": scipy.__version__, "n": int(len(a)), "wilcoxonStatistic": float(w.statistic), "wilcoxonP": float(w.pvalue),
                  "t": float(t.statistic), "tP": float(t.pvalue), "timing": timed(paired)}))
`;

/** (3): ours against scipy on 1,000,000 pairs; the `paired` section of the results. */
function pairedPart(a: Float64Array): Record<string, unknown> {
  const b = pairs(a);
  const aPath = join(WORK, 'paired-a.f64');
  const bPath = join(WORK, 'paired-b.f64');
  writeFileSync(aPath, new Uint8Array(a.buffer));
  writeFileSync(bPath, new Uint8Array(b.buffer));
  const run = () => [wilcoxonSignedRank(a, b), pairedTTest(a, b)] as const;
  const [w, t] = run();
  if (w.empty || t.empty) throw new Error('unexpected empty paired result');
  const oursT = timeIt(run);
  ensureVenv();
  const p = spawnSync(PYTHON, ['-c', PY_PAIRED, aPath, bPath, String(REPEATS), String(WARMUP)], { encoding: 'utf8', maxBuffer: 1 << 22, timeout: 600_000 });
  if (p.status !== 0) throw new Error(`python failed: ${p.stderr || p.error?.message}`);
  const py = JSON.parse(p.stdout) as { scipy: string; n: number; wilcoxonStatistic: number; wilcoxonP: number; t: number; tP: number; timing: Timing };
  const ours = { n: w.n, wilcoxonStatistic: w.statistic, wilcoxonP: w.p, t: t.t, tP: t.p };
  const off = Object.entries(ours).filter(([k, o]) => {
    const v = py[k as keyof typeof ours];
    return typeof o !== 'number' || Math.abs(o - v) > 1e-9 * Math.max(1e-300, Math.abs(v));
  });
  if (off.length) throw new Error(`paired results differ from scipy: ${JSON.stringify(off)} vs ${JSON.stringify(py)}`);
  const ratio = oursT.ms / py.timing.ms;
  const row = {
    case: `wilcoxon + ttest_rel ${py.n.toLocaleString('en-US')} pairs`, expctl_ms: round(oursT.ms), expctl_cpu_ms: round(oursT.cpuMs),
    peer: `scipy ${py.scipy} wilcoxon + ttest_rel`, peer_ms: round(py.timing.ms), peer_cpu_ms: round(py.timing.cpuMs),
    ratio: round(ratio, 3), cpu_ratio: round(oursT.cpuMs / py.timing.cpuMs, 3), bar: '≤ 2× scipy',
  };
  const target = { target: '1M-pair Wilcoxon + paired t ≤ 2× scipy (wall)', measured: `${ratio.toFixed(2)}× (CPU time ${(oursT.cpuMs / py.timing.cpuMs).toFixed(2)}×)`, met: ratio <= 2 };
  console.log(`${row.case.padEnd(64)} expctl ${String(row.expctl_ms).padStart(7)} ms (cpu ${row.expctl_cpu_ms})   ${row.peer} ${row.peer_ms} ms (cpu ${row.peer_cpu_ms})   ours/peer ${row.ratio} (cpu ${row.cpu_ratio})`);
  console.log(`  ${target.met ? 'MET    ' : 'NOT MET'}  ${target.target}: ${target.measured}`);
  return {
    date: new Date().toISOString(),
    method: { repeats: REPEATS, warmup: WARMUP, data: 'a: the 1,000,000 latencies of (1) without their NaNs; b = a·(1 + 0.05·N(0,1)) − 0.002 (mulberry32 seed 20261202)' },
    check: { agreed: Object.keys(ours), scipy: py },
    table: [row],
    targets: [target],
  };
}

function main(): void {
  mkdirSync(WORK, { recursive: true });
  if (process.argv.includes('--paired')) {
    // Only (3): the other figures of the last full run stay as they were.
    const data = latencies();
    const paired = pairedPart(data.filter((x) => Number.isFinite(x)));
    const previous = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'stats.json'), 'utf8')) as Record<string, unknown>;
    const { benchmark: _b, date: _d, node: _n, cpu: _c, cores: _k, memoryGB: _m, os: _o, git: _g, ...body } = previous;
    writeResults('stats', ['core/src/stats'], { ...body, date_full_run: previous.date, paired });
    console.log('wrote the paired section of bench/results/stats.json');
    return;
  }
  const data = latencies();
  const dataPath = join(WORK, 'stats-1m.f64');
  writeFileSync(dataPath, new Uint8Array(data.buffer));
  const records = runs();
  const csvRows = rows(records);
  // pandas gets the same table: one row per run, lr and every metric's final value (null = missing).
  const groupsPath = join(WORK, 'stats-groups.json');
  writeFileSync(groupsPath, JSON.stringify(records.map((r) => ({ lr: r.params['params.lr'], ...Object.fromEntries(metricNames.map((m) => [m, r.summary[m]?.last ?? null])) }))));

  const d = describe(data);
  if (isEmpty(d)) throw new Error('unexpected empty summary');
  const oursT = timeIt(() => describe(data));
  const runsT = timeIt(() => groupAndSummarize(records));
  const rowsT = timeIt(() => groupAndSummarize(csvRows));

  ensureVenv();
  const p = spawnSync(PYTHON, ['-c', PY, dataPath, groupsPath, String(REPEATS), String(WARMUP)], { encoding: 'utf8', maxBuffer: 1 << 22, timeout: 600_000 });
  if (p.status !== 0) throw new Error(`python failed: ${p.stderr || p.error?.message}`);
  const py = JSON.parse(p.stdout) as PyResult;

  // Same answers first, or the timing compares different work.
  const ours = {
    n: d.n, q1: d.box.q1, median: d.box.median, q3: d.box.q3, mean: d.mean, std: d.std, whiskerLow: d.box.whiskerLow,
    whiskerHigh: d.box.whiskerHigh, outliers: d.box.outliers.length, firstOutlierPosition: d.box.outliers[0]?.index ?? null,
    ciLow: d.ci?.low, gmean: d.gmean,
  };
  const mismatches = Object.entries(py.summary).filter(([k, v]) => {
    const o = ours[k as keyof typeof ours];
    return typeof v === 'number' && typeof o === 'number' ? Math.abs(o - v) > 1e-9 * Math.max(1, Math.abs(v)) : o !== v;
  });
  if (mismatches.length > 0) throw new Error(`results differ from numpy: ${JSON.stringify(mismatches)} vs ${JSON.stringify(ours)}`);

  const v = py.versions;
  const row = (label: string, mine: Timing, peer: string, theirs: Timing | undefined, bar: string) => ({
    case: label, expctl_ms: round(mine.ms), expctl_cpu_ms: round(mine.cpuMs), peer, peer_ms: theirs ? round(theirs.ms) : null,
    peer_cpu_ms: theirs ? round(theirs.cpuMs) : null, ratio: theirs ? round(mine.ms / theirs.ms, 3) : null,
    cpu_ratio: theirs ? round(mine.cpuMs / theirs.cpuMs, 3) : null, bar,
  });
  const table = [
    row(`describe ${N.toLocaleString('en-US')} values`, oursT, `numpy ${v.numpy}`, py.numpy, '≤ 2× numpy'),
    row(`group + summarize ${RUNS.toLocaleString('en-US')} runs × ${METRICS} metrics (run records)`, runsT, `pandas ${v.pandas} groupby().describe()`, py.pandasGroup, '< 500 ms'),
    row(`group + summarize ${RUNS.toLocaleString('en-US')} runs × ${METRICS} metrics (runs.csv rows)`, rowsT, '', undefined, '< 500 ms'),
  ];
  const ratio = oursT.ms / py.numpy.ms;
  const targets = [
    { target: '1M-value summary ≤ 2× numpy (wall)', measured: `${ratio.toFixed(2)}× (CPU time ${(oursT.cpuMs / py.numpy.cpuMs).toFixed(2)}×)`, met: ratio <= 2 },
    { target: '10,000 runs × 20 metrics < 500 ms (records)', measured: `${round(runsT.ms, 1)} ms`, met: runsT.ms < 500 },
    { target: '10,000 runs × 20 metrics < 500 ms (CSV rows)', measured: `${round(rowsT.ms, 1)} ms`, met: rowsT.ms < 500 },
  ];

  console.log(`statistics — median of ${REPEATS} after ${WARMUP} warm-up; node ${process.version}, python ${v.python}, numpy ${v.numpy}, pandas ${v.pandas}`);
  for (const r of table) {
    console.log(`${r.case.padEnd(64)} expctl ${String(r.expctl_ms).padStart(7)} ms (cpu ${r.expctl_cpu_ms})` +
      (r.peer ? `   ${r.peer} ${r.peer_ms} ms (cpu ${r.peer_cpu_ms})   ours/peer ${r.ratio} (cpu ${r.cpu_ratio})` : ''));
  }
  for (const t of targets) console.log(`  ${t.met ? 'MET    ' : 'NOT MET'}  ${t.target}: ${t.measured}`);
  const paired = pairedPart(data.filter((x) => Number.isFinite(x)));

  writeResults('stats', ['core/src/stats'], {
    command: 'node --import tsx bench/stats.ts',
    peer: { ...v, venv: '.cache/pyref (scripts/reference/requirements.txt)' },
    method: {
      repeats: REPEATS, warmup: WARMUP, aggregate: 'median of repeats, wall and process CPU time, timed inside each process',
      data: `${N} log-normal latencies (median 12 ms, sigma 0.45), every 1000th NaN, float64 in bench/.work/stats-1m.f64`,
      summary: 'finite filter, q1/median/q3 (linear), matplotlib boxplot whiskers + outliers with input positions, mean, std ddof=1, min, max, 95% t interval, geometric mean',
      grouping: `${RUNS} runs by params.lr (5 groups), ${METRICS} metrics reduced by final value, describe() per group × metric; every 50th run lacks m3`,
    },
    check: { agreed: Object.keys(py.summary), summary: py.summary },
    table,
    targets,
    paired,
  });
  console.log('wrote bench/results/stats.json');
}

main();
