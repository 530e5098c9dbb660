// A synthetic HTCondor campaign, written the way post_experiment_csv.py writes job_summary.csv.
// Deterministic for a seed: the same rows on every machine (32-bit PRNG, no Date.now).
//
//   node --import tsx examples/campaign-report/generate.ts [--rows N] [--seed S] [--days D] [--out file]
//
// The model, in short: DAGs of training runs (preprocess → train epoch by epoch, evaluating every
// few epochs); each run is pinned to one resource; every job goes through attempts until it
// completes. Train attempts checkpoint (exit 85 → "checkpointed") every ~45 min of execution;
// evictions lose the work since the last checkpoint; holds are released or end in an abort;
// failures and RESCUED attempts are retried in a new cluster (DAG RETRY 3). Resources differ the
// way real ones do: ospool evicts often, has the slowest input transfer and small-memory GPUs
// (which run out of memory on the big models); aws rarely loses work and has short queues.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { categorical, mulberry32, normal } from '../../core/src/sweep/prng';

interface Gpu { name: string; memoryMb: number; capability: string; /** Training speed, V100 = 1. */ speed: number }

const GPUS = {
  a100_40: { name: 'NVIDIA A100-SXM4-40GB', memoryMb: 40960, capability: '8.0', speed: 2.2 },
  a100_80: { name: 'NVIDIA A100-SXM4-80GB', memoryMb: 81920, capability: '8.0', speed: 2.4 },
  h100: { name: 'NVIDIA H100 80GB HBM3', memoryMb: 81559, capability: '9.0', speed: 4.0 },
  v100_32: { name: 'Tesla V100-SXM2-32GB', memoryMb: 32768, capability: '7.0', speed: 1.0 },
  v100_16: { name: 'Tesla V100-SXM2-16GB', memoryMb: 16384, capability: '7.0', speed: 1.0 },
  a40: { name: 'NVIDIA A40', memoryMb: 46068, capability: '8.6', speed: 1.5 },
  a10g: { name: 'NVIDIA A10G', memoryMb: 23028, capability: '8.6', speed: 1.1 },
  l40s: { name: 'NVIDIA L40S', memoryMb: 46068, capability: '8.9', speed: 2.0 },
  t4: { name: 'Tesla T4', memoryMb: 15360, capability: '7.5', speed: 0.45 },
  rtx2080ti: { name: 'NVIDIA GeForce RTX 2080 Ti', memoryMb: 11264, capability: '7.5', speed: 0.75 },
  rtx3090: { name: 'NVIDIA GeForce RTX 3090', memoryMb: 24576, capability: '8.6', speed: 1.3 },
  rtxa5000: { name: 'NVIDIA RTX A5000', memoryMb: 24564, capability: '8.6', speed: 1.2 },
} satisfies Record<string, Gpu>;
type GpuKey = keyof typeof GPUS;

interface Site {
  name: string;
  /** Share of runs sent here. */
  share: number;
  gpus: [GpuKey, number][];
  evictPerHour: number;
  failRate: number;
  heldRate: number;
  queueMedianMin: number;
  transferMedianS: number;
  transferSigma: number;
}

const SITES: Site[] = [
  { name: 'ospool', share: 0.3, gpus: [['t4', 18], ['rtx2080ti', 15], ['rtxa5000', 15], ['a40', 15], ['rtx3090', 12], ['v100_16', 10], ['a100_40', 10], ['l40s', 5]],
    evictPerHour: 0.5, failRate: 0.04, heldRate: 0.05, queueMedianMin: 20, transferMedianS: 150, transferSigma: 0.9 },
  { name: 'delta', share: 0.2, gpus: [['a100_40', 55], ['a40', 35], ['a100_80', 10]],
    evictPerHour: 0.005, failRate: 0.015, heldRate: 0.01, queueMedianMin: 60, transferMedianS: 30, transferSigma: 0.4 },
  { name: 'expanse', share: 0.15, gpus: [['v100_32', 1]],
    evictPerHour: 0.01, failRate: 0.03, heldRate: 0.02, queueMedianMin: 90, transferMedianS: 40, transferSigma: 0.4 },
  { name: 'anvil', share: 0.12, gpus: [['a100_40', 1]],
    evictPerHour: 0.01, failRate: 0.03, heldRate: 0.04, queueMedianMin: 120, transferMedianS: 35, transferSigma: 0.5 },
  { name: 'bridges2', share: 0.12, gpus: [['v100_32', 50], ['v100_16', 30], ['h100', 20]],
    evictPerHour: 0.01, failRate: 0.035, heldRate: 0.02, queueMedianMin: 150, transferMedianS: 50, transferSigma: 0.5 },
  { name: 'aws', share: 0.11, gpus: [['a10g', 50], ['a100_40', 30], ['h100', 20]],
    evictPerHour: 0.002, failRate: 0.005, heldRate: 0.003, queueMedianMin: 8, transferMedianS: 20, transferSigma: 0.3 },
];

interface DagKind {
  name: string;
  share: number;
  /** Job name for run r, epoch e (e undefined: the preprocess job). */
  jobName: (r: number, kind: 'preprocess' | 'train' | 'evaluate', e?: number) => string;
  /** Hours of one epoch on one V100. */
  epochHours: number;
  /** GPU memory the model needs; smaller GPUs run out of memory. */
  memoryNeedMb: number;
  gpus: number;
  epochs: [number, number];
  evalEvery: number;
  inputBytes: number;
  checkpointBytes: number;
}

const runStyle = (r: number, kind: string, e?: number) => (e === undefined ? `run${r}-${kind}` : `run${r}-${kind}_epoch${e}`);
const DAGS: DagKind[] = [
  { name: 'gb1_lr_sweep', share: 0.35, jobName: runStyle, epochHours: 1.2, memoryNeedMb: 14_000, gpus: 1, epochs: [8, 16], evalEvery: 4, inputBytes: 2.1e9, checkpointBytes: 3.6e8 },
  { name: 'avgfp_pretrain', share: 0.25, jobName: runStyle, epochHours: 2.5, memoryNeedMb: 30_000, gpus: 1, epochs: [6, 12], evalEvery: 3, inputBytes: 5.8e9, checkpointBytes: 1.1e9 },
  { name: 'tem1_finetune', share: 0.25, jobName: runStyle, epochHours: 0.6, memoryNeedMb: 9_000, gpus: 1, epochs: [10, 20], evalEvery: 5, inputBytes: 0.9e9, checkpointBytes: 2.4e8 },
  { name: 'imagenet_resnet50', share: 0.15, jobName: (r, kind, e) => (kind === 'preprocess' ? `resnet50_seed${r}_prep` : kind === 'train' ? `resnet50_seed${r}_epoch${e}` : `resnet50_seed${r}_eval_epoch${e}`),
    epochHours: 3.0, memoryNeedMb: 20_000, gpus: 2, epochs: [5, 10], evalEvery: 5, inputBytes: 1.5e10, checkpointBytes: 2.0e8 },
];

const HEADER = ['Job Name', 'DAG Source', 'HTCondor Cluster ID', 'Attempt Sequence', 'Final Status', 'Targeted Resource',
  'Submit Time', 'Start Time', 'End Time', 'Execution Duration (seconds)', 'Total Duration (seconds)',
  'Total Bytes Sent', 'Total Bytes Received', 'Number of GPUs', 'GPU Device Name', 'GPU Memory MB', 'GPU Capability',
  'Held Time', 'Released Time', 'Evicted Time', 'Aborted Time',
  'Transfer Input Start Time', 'Transfer Input End Time', 'Transfer Input Duration (seconds)', 'Epochs Completed',
  'GPU Utilization (%)', 'GPU Memory Used MB', 'Request Memory MB', 'Memory Usage MB', 'Request CPUs', 'CPUs Usage', 'Request Disk MB', 'Disk Usage MB'];

/** Requests per DAG kind (HTCondor RequestMemory MB, RequestCpus, RequestDisk MB). */
const REQUESTS: Record<string, { memoryMb: number; cpus: number; diskMb: number }> = {
  gb1_lr_sweep: { memoryMb: 16384, cpus: 4, diskMb: 20480 },
  avgfp_pretrain: { memoryMb: 32768, cpus: 8, diskMb: 51200 },
  tem1_finetune: { memoryMb: 8192, cpus: 4, diskMb: 10240 },
  imagenet_resnet50: { memoryMb: 65536, cpus: 16, diskMb: 204800 },
};
// input-bound sites keep GPUs waiting on data: lower utilisation
const UTIL_PENALTY: Record<string, number> = { ospool: 18, delta: 0, expanse: 6, anvil: 4, bridges2: 8, aws: 2 };

interface Row {
  job: string; dag: string; cluster: Cluster; seq: number; status: string; resource: string;
  submit: number; start?: number; end?: number; sent: number; received: number;
  gpus: number; gpu?: Gpu; held?: number; released?: number; evicted?: number; aborted?: number;
  transferStart?: number; transferEnd?: number; epochs?: number;
}
interface Cluster { submit: number; id: number }

export interface GenerateOptions { rows?: number; seed?: number; days?: number; start?: string }

const HOUR = 3_600_000;
const CHECKPOINT_EVERY_H = 0.75;
const MAX_RETRIES = 3;

/** The CSV text of a synthetic campaign of exactly `rows` attempts. */
export function generateJobSummary(options: GenerateOptions = {}): string {
  const rows = options.rows ?? 4000;
  const days = options.days ?? 28;
  const rng = mulberry32(options.seed ?? 42);
  const t0 = Date.parse(`${options.start ?? '2025-03-03'}T00:00:00Z`);
  const out: Row[] = [];
  const clusters: Cluster[] = [];
  const runCount = new Map<string, number>();
  const pick = <T>(items: T[], weights: number[]) => items[categorical(rng, items.length, weights)];
  const lognormal = (median: number, sigma: number) => median * Math.exp(sigma * normal(rng, 0, 1));
  const newCluster = (submit: number) => { const c = { submit, id: 0 }; clusters.push(c); return c; };

  while (out.length < rows) {
    const dag = pick(DAGS, DAGS.map((d) => d.share));
    const site = pick(SITES, SITES.map((s) => s.share));
    const r = runCount.get(dag.name) ?? 0;
    runCount.set(dag.name, r + 1);
    const epochs = dag.epochs[0] + Math.floor(rng() * (dag.epochs[1] - dag.epochs[0] + 1));
    // Runs start over the first 70% of the window, so most of them finish inside it.
    let t = t0 + rng() * days * 0.7 * 24 * HOUR;
    const jobs: { name: string; kind: 'preprocess' | 'train' | 'evaluate'; work: number; gpus: number }[] = [
      { name: dag.jobName(r, 'preprocess'), kind: 'preprocess', work: 0.1 + rng() * 0.2, gpus: 0 },
    ];
    for (let e = 1; e <= epochs; e++) {
      jobs.push({ name: dag.jobName(r, 'train', e), kind: 'train', work: dag.epochHours * (0.9 + rng() * 0.2), gpus: dag.gpus });
      if (e % dag.evalEvery === 0 || e === epochs) jobs.push({ name: dag.jobName(r, 'evaluate', e), kind: 'evaluate', work: 0.1 + rng() * 0.1, gpus: 1 });
    }
    for (const job of jobs) {
      const end = runJob(job, t);
      if (end === undefined) break; // retries exhausted: the DAG stops here
      t = end + rng() * 0.05 * HOUR; // DAGMan submits the next node shortly after
    }

    /** Attempts of one DAG node until it completes; the end time, or undefined when it gave up. */
    function runJob(job: (typeof jobs)[number], submitAt: number): number | undefined {
      let remaining = job.work; // V100-hours of work left (at the last checkpoint)
      let retries = 0;
      let cluster = newCluster(submitAt);
      let seq = 0;
      let submit = submitAt;
      for (;;) {
        seq++;
        const gpu = job.gpus > 0 ? GPUS[pick(site.gpus.map((g) => g[0]), site.gpus.map((g) => g[1]))] : undefined;
        const base: Row = { job: job.name, dag: dag.name, cluster, seq, status: '', resource: site.name, submit, sent: 0, received: 0, gpus: job.gpus, gpu };
        const queued = submit + lognormal(site.queueMedianMin, 0.8) * 60_000;
        const inBytes = (job.kind === 'train' ? dag.inputBytes : dag.inputBytes * 0.1) + (remaining < job.work ? dag.checkpointBytes : 0);
        const transfer = Math.max(1, lognormal(site.transferMedianS, site.transferSigma) * (inBytes / 3e9) ** 0.5) * 1000;
        const start = queued + transfer + 1000;
        const speed = gpu ? gpu.speed * (job.gpus > 1 ? 0.9 * job.gpus : 1) : 1;
        const needed = remaining / speed;
        const segment = job.kind === 'train' ? Math.min(needed, CHECKPOINT_EVERY_H * (0.9 + rng() * 0.2)) : needed;
        // Competing events; the earliest one within the segment ends the attempt.
        const events: [string, number][] = [];
        if (gpu && gpu.memoryMb < dag.memoryNeedMb * (job.kind === 'train' ? 1 : 0.6) && rng() < 0.85) events.push(['failed', 0.03 + rng() * 0.12]);
        if (rng() < site.failRate) events.push(['failed', rng() * segment]);
        if (rng() < site.heldRate) events.push(['held', rng() * segment]);
        if (rng() < 0.004) events.push(['RESCUED', rng() * segment]);
        events.push(['evicted', -Math.log(1 - rng()) / site.evictPerHour]);
        const [what, at] = events.reduce((a, b) => (b[1] < a[1] ? b : a));
        const row: Row = { ...base, start, transferStart: queued, transferEnd: queued + transfer, received: Math.round(inBytes) };
        if (at >= segment) {
          row.end = start + segment * HOUR;
          remaining -= segment * speed;
          const done = remaining <= 1e-9;
          row.status = done ? 'completed' : 'checkpointed';
          row.sent = Math.round(job.kind === 'train' ? dag.checkpointBytes * (0.95 + rng() * 0.1) : 2e6 + rng() * 4e6);
          row.epochs = done && job.kind === 'train' ? 1 : 0;
          out.push(row);
          if (done) return row.end;
          submit = row.end; // exit 85: requeued in the same cluster
          continue;
        }
        row.end = start + at * HOUR;
        row.status = what;
        row.sent = Math.round(rng() * 5e6);
        row.epochs = 0;
        if (what === 'evicted') {
          row.evicted = row.end;
          out.push(row);
          submit = row.end; // rescheduled in the same cluster, from the last checkpoint
          continue;
        }
        if (what === 'held') {
          row.held = row.end;
          if (rng() < 0.7) {
            row.status = 'released';
            row.released = row.end + (0.5 + rng() * 5.5) * HOUR;
            out.push(row);
            submit = row.released;
            continue;
          }
          out.push(row);
          // Nobody released it: removed by hand a day or two later, then DAGMan retries.
          const aborted = row.end + (12 + rng() * 36) * HOUR;
          out.push({ ...base, seq: ++seq, status: 'aborted', submit: row.end, gpus: 0, gpu: undefined, aborted, epochs: undefined });
          submit = aborted;
        } else {
          out.push(row); // failed or RESCUED: DAG retry in a new cluster
          submit = row.end + 60_000;
        }
        if (++retries > MAX_RETRIES) return undefined;
        cluster = newCluster(submit);
        seq = 0;
      }
    }
  }
  out.length = rows; // the last run is cut where the campaign "stops"

  // Cluster ids rise with submit time, as the schedd hands them out.
  clusters.sort((a, b) => a.submit - b.submit).forEach((c, i) => { c.id = 8_412_001 + i; });
  out.sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : a.cluster.id - b.cluster.id || a.seq - b.seq));

  // Usage columns from a PRNG of their own, drawn in output order: the other columns stay what they were.
  const use = mulberry32((options.seed ?? 42) + 0x5eed);
  const usage = (r: Row): Array<string | number> => {
    const req = REQUESTS[r.dag];
    const dag = DAGS.find((d) => d.name === r.dag)!;
    if (r.start === undefined) return ['', '', req.memoryMb, '', req.cpus, '', req.diskMb, ''];
    const evaluate = /eval/.test(r.job);
    let util: number | string = '';
    let gpuMem: number | string = '';
    if (r.gpu && r.gpus > 0) {
      const total = r.gpu.memoryMb * r.gpus;
      util = Math.round(10 * Math.min(99, Math.max(3, (evaluate ? 45 : 82) - UTIL_PENALTY[r.resource] + 9 * normal(use, 0, 1)))) / 10;
      const need = dag.memoryNeedMb * (evaluate ? 0.6 : 1) * r.gpus * (0.85 + 0.15 * use());
      gpuMem = Math.round(Math.min(total, need));
    }
    const mem = Math.round(req.memoryMb * (0.35 + 0.8 * use()));
    const cpus = Math.round(100 * req.cpus * (0.3 + 0.7 * use())) / 100;
    const disk = Math.round(((evaluate ? 0.1 : 1) * dag.inputBytes + dag.checkpointBytes) / 1048576 * (1 + 0.5 * use()));
    return [util, gpuMem, req.memoryMb, mem, req.cpus, cpus, req.diskMb, disk];
  };
  const iso = (t: number | undefined) => (t === undefined ? '' : new Date(Math.round(t / 1000) * 1000).toISOString().slice(0, 19));
  const secs = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '' : String(Math.round(b / 1000) - Math.round(a / 1000)));
  const lines = [HEADER.join(',')];
  for (const r of out) {
    const ran = r.start !== undefined;
    lines.push([
      r.job, r.dag, r.cluster.id, r.seq, r.status, r.resource,
      iso(r.submit), iso(r.start), iso(r.end), secs(r.start, r.end), secs(r.submit, r.end ?? r.aborted),
      r.sent, r.received, r.gpus, ran && r.gpu ? r.gpu.name : '', ran && r.gpu ? r.gpu.memoryMb * r.gpus : '', ran && r.gpu ? r.gpu.capability : '',
      iso(r.held), iso(r.released), iso(r.evicted), iso(r.aborted),
      iso(r.transferStart), iso(r.transferEnd), secs(r.transferStart, r.transferEnd), r.epochs ?? '',
      ...usage(r),
    ].join(','));
  }
  return lines.join('\n') + '\n';
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
  const num = (name: string, min = 1) => {
    const v = opt(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} wants an integer ≥ ${min}, got ${v}`);
    return n;
  };
  const out = opt('out') ?? path.join(__dirname, 'job_summary.csv');
  const text = generateJobSummary({ rows: num('rows'), seed: num('seed', 0), days: num('days') });
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, text);
  console.log(`${out}: ${text.split('\n').length - 2} rows, ${(text.length / 1e6).toFixed(2)} MB`);
}

if (require.main === module) main();
