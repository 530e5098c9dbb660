// Sweep expansion benchmark: 1k / 10k / 100k grids and a 100k random sweep, median of 5 runs (after one warm-up),
// with keys (sha256) and names from a name_template. Peer: the same expansion in Python
// (itertools.product / random.Random + json.dumps(sort_keys=True) + hashlib.sha256 + str.format),
// timed inside Python so interpreter start-up is excluded. Prints a table; writes nothing.
//
//   node --import tsx bench/sweep.ts
import { spawnSync } from 'node:child_process';
import type { Experiment, ParamSpec, Sweep } from '../core/src/config/types';
import { expandSweep } from '../core/src/sweep';

const RUNS = 5;

const experiment: Experiment = {
  name: 'mnist-kafka-loading',
  description: 'benchmark experiment',
  command: ['python', 'train.py', '--batch-size', '{params.batch_size}'],
  launcher: { type: 'accelerate', num_processes: 3, mixed_precision: 'fp16' },
  workdir: '.',
  env: { NCCL_TIMEOUT: '3600' },
  params: { batch_size: 192, num_epochs: 1, data_format: 'avro', compression: 'lz4', p0: 0, p1: 0, p2: 0, p3: 0, p4: 0 },
  resources: { gpus: 3, gpu_type: 'H100', memory: '32Gi' },
  target: 'local',
  repeat: 1,
  retry: { max_retries: 3, backoff_base_s: 2, on: ['oom', 'timeout'] },
  timeout: '2h',
  metrics: { primary: 'load_time_s', goal: 'minimize' },
  tags: ['bench'],
};

interface Case {
  label: string;
  method: 'grid' | 'random';
  /** Grid: values per parameter, in order. */
  values?: number[][];
  samples?: number;
}

const tenValues = (i: number) => Array.from({ length: 10 }, (_, j) => Number(((j + 1) * 10 ** -(i + 1)).toPrecision(6)));
const gridCase = (n: number): Case => ({
  label: `grid ${10 ** n / 1000}k (${n}×10)`,
  method: 'grid',
  values: Array.from({ length: n }, (_, i) => tenValues(i)),
});
const cases: Case[] = [gridCase(3), gridCase(4), gridCase(5), { label: 'random 100k (5 params)', method: 'random', samples: 100_000 }];

function templateFor(keys: string[]): string {
  return keys.map((k, i) => `p${i}_{${k}}`).join('-') + '-bs{params.batch_size}';
}

function sweepFor(c: Case): Sweep {
  if (c.method === 'grid') {
    const parameters: Record<string, ParamSpec> = {};
    c.values!.forEach((vals, i) => (parameters[`params.p${i}`] = { values: vals }));
    return { name: 'bench', method: 'grid', parameters, name_template: templateFor(Object.keys(parameters)) };
  }
  const parameters: Record<string, ParamSpec> = {
    'params.p0': { distribution: 'log_uniform', min: 1e-5, max: 1e-1 },
    'params.p1': { distribution: 'uniform', min: 0, max: 0.5, q: 0.05 },
    'params.p2': { distribution: 'int_uniform', min: 1, max: 8 },
    'params.p3': { distribution: 'normal', mu: 0, sigma: 1 },
    'params.p4': { values: [16, 32, 64, 128] },
  };
  return { name: 'bench', method: 'random', samples: c.samples, seed: 1, parameters, name_template: templateFor(Object.keys(parameters)) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeOurs(c: Case): { ms: number; trials: number } {
  const sweep = sweepFor(c);
  const times: number[] = [];
  let trials = 0;
  expandSweep(sweep, experiment); // warm-up (JIT), untimed; Python gets one too
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const e = expandSweep(sweep, experiment);
    times.push(performance.now() - t0);
    trials = e.trials.length;
    if (new Set([e.trials[0].key, e.trials[trials - 1].key]).size !== 2) throw new Error('bad keys');
  }
  return { ms: median(times), trials };
}

// The peer does the same work per trial: a params dict, canonical JSON, sha256 → 16 hex digits, a name.
const PY = String.raw`
import hashlib, itertools, json, math, random, sys, time
cases, runs, batch = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def key(params, rep):
    s = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "#" + str(rep)
    return hashlib.sha256(s.encode()).hexdigest()[:16]
def fmt_for(keys):
    return "-".join("p%d_{%d}" % (i, i) for i in range(len(keys))) + "-bs" + str(batch)
def grid(c):
    keys = ["params.p%d" % i for i in range(len(c["values"]))]
    fmt = fmt_for(keys)
    out = []
    for i, combo in enumerate(itertools.product(*c["values"])):
        params = dict(zip(keys, combo))
        out.append({"index": i, "key": key(params, 0), "name": fmt.format(*combo), "repeat": 0, "params": params})
    return out
def rnd(c):
    rng = random.Random(1)
    keys = ["params.p%d" % i for i in range(5)]
    fmt = fmt_for(keys)
    lo, hi = math.log(1e-5), math.log(1e-1)
    out = []
    for i in range(c["samples"]):
        v = (math.exp(rng.uniform(lo, hi)), round(rng.uniform(0, 0.5) / 0.05) * 0.05, rng.randint(1, 8),
             rng.gauss(0, 1), rng.choice([16, 32, 64, 128]))
        params = dict(zip(keys, v))
        out.append({"index": i, "key": key(params, 0), "name": fmt.format(*v), "repeat": 0, "params": params})
    return out
res = []
for c in cases:
    times = []
    grid(c) if c["method"] == "grid" else rnd(c)  # warm-up, untimed, like the JS side
    for _ in range(runs):
        t0 = time.perf_counter()
        trials = grid(c) if c["method"] == "grid" else rnd(c)
        times.append((time.perf_counter() - t0) * 1000)
        del trials
    times.sort()
    res.append(times[len(times) // 2])
print(json.dumps({"version": sys.version.split()[0], "ms": res}))
`;

function timePython(): { version: string; ms: number[] } | string {
  const p = spawnSync('python3', ['-c', PY, JSON.stringify(cases), String(RUNS), String(experiment.params!.batch_size)], {
    encoding: 'utf8', maxBuffer: 1 << 20, timeout: 600_000,
  });
  if (p.error) return `python3 unavailable (${p.error.message})`;
  if (p.status !== 0) return `python3 failed: ${p.stderr.trim().split('\n').pop()}`;
  return JSON.parse(p.stdout) as { version: string; ms: number[] };
}

const ours = cases.map(timeOurs);
const py = timePython();

const pad = (s: string, n: number, right = false) => (right ? s.padStart(n) : s.padEnd(n));
const ms = (x: number) => x.toFixed(1);
console.log(`sweep expansion — median of ${RUNS} runs, keys + names included; node ${process.version}` +
  (typeof py === 'string' ? '' : `, python ${py.version}`));
console.log(`${pad('case', 24)} ${pad('trials', 8, true)} ${pad('expctl ms', 10, true)} ${pad('trials/s', 11, true)} ${pad('python ms', 10, true)} ${pad('ours/python', 12, true)}`);
cases.forEach((c, i) => {
  const o = ours[i];
  const pms = typeof py === 'string' ? undefined : py.ms[i];
  console.log(`${pad(c.label, 24)} ${pad(o.trials.toLocaleString('en-US'), 8, true)} ${pad(ms(o.ms), 10, true)} ` +
    `${pad(Math.round(o.trials / (o.ms / 1000)).toLocaleString('en-US'), 11, true)} ` +
    `${pad(pms === undefined ? 'n/a' : ms(pms), 10, true)} ${pad(pms === undefined ? 'n/a' : (o.ms / pms).toFixed(2), 12, true)}`);
});
if (typeof py === 'string') console.log(py);
