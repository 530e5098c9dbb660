// What watching a results store costs the process that watches it (the extension host, `expctl
// status --watch`): a store of 1,000 runs, 50 of them running in a runner process that journals an
// event for each of them every second (50 events/s: far more than real runs make) and appends to
// their metrics files. A watcher process looks once a second, as the extension does by default
// (expctl.live.updateIntervalMs), and computes the sweeps' status each time; its CPU time
// (process.cpuUsage) is taken over a 30 s window, after a warm-up:
//   incremental  core/src/store/reader.ts: tail the journal, re-read the runs it names (async I/O)
//   full         what the extension did before: every run.json read again each second while anything runs
// Run: node --import tsx bench/store-reader.ts   (≈ 75 s; writes bench/results/store-reader.json; --no-write: print only)
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore } from '../core/src/store/store';
import type { RunRecord } from '../core/src/store/store';
import { StoreReader } from '../core/src/store/reader';
import { anyActive, storeStatus } from '../core/src/runner/status';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeResults } from './meta';

const RUNS = 1000;
const RUNNING = 50;
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 30);
const WARMUP_S = 3;
const TICK_MS = 1000;
const SWEEP = 'bench-sweep';

const record = (i: number, status: RunRecord['status']): RunRecord => {
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return {
    schema_version: 1, id: `t${i}-${String(i).padStart(8, '0')}`, sweep_id: SWEEP, experiment: 'bench', experiment_file: '/bench/e.experiment.yaml',
    trial: { index: i, key: String(i).padStart(16, '0'), name: `t${i}`, repeat: 0 }, params: { 'params.lr': 1e-3 * (i % 10), 'params.bs': 32 << (i % 4) },
    target: 'local', status, created: t, started: t, host: os.hostname(), runner_pid: process.pid, config_hash: 'x'.repeat(16),
    attempts: [{ n: 1, started: t, pid: 100000 + i, ...(status === 'succeeded' ? { ended: t, exit_code: 0, duration_s: 61.2 } : {}) }],
    summary: Object.fromEntries(['loss', 'val_loss', 'accuracy', 'throughput'].map((m) => [m, { last: 0.1, min: 0.05, max: 2.3, mean: 0.4, count: 500, step: 499 }])),
    ...(status === 'succeeded' ? { ended: t, duration_s: 61.2 } : {}),
  };
};

/** The runner: builds the store, then journals an event per running run every second. */
async function runner(root: string): Promise<void> {
  const store = new FileStore(root);
  store.load();
  const running: RunRecord[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = record(i, i < RUNS - RUNNING ? 'succeeded' : 'running');
    store.create(r, 'name: bench\n');
    if (r.status === 'running') running.push(r);
  }
  await store.flush();
  store.writeSweep(SWEEP, { name: 'bench', trials: RUNS, runner_pid: process.pid, created: new Date().toISOString(), metric: { name: 'loss', goal: 'minimize' } }, []);
  process.stdout.write('ready\n');
  let step = 0;
  let next = 0;
  setInterval(() => {
    const r = running[next++ % running.length];
    if (next % running.length === 0) step++;
    fs.appendFileSync(path.join(store.runDir(r.id), 'metrics.jsonl'), `${JSON.stringify({ step, loss: 1 / (step + 1) })}\n`);
    r.attempts[0].port = step; // a change, so that run.json is written again
    store.save(r, 'run-progress');
  }, TICK_MS / RUNNING);
}

/** The watcher: looks every second as `mode`, prints its CPU time over the window. */
async function watcher(root: string, mode: 'incremental' | 'full'): Promise<void> {
  const reader = new StoreReader(root);
  let active = true;
  let lastStamp = '';
  const ticks: number[] = [];
  /** CPU µs spent reading the store, and computing the sweeps' status from what was read (the same work in both modes). */
  let readUs = 0;
  let statusUs = 0;
  const cpuSince = (c: NodeJS.CpuUsage) => { const d = process.cpuUsage(c); return d.user + d.system; };
  const look = async () => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    let store: StoreReader | FileStore | undefined;
    if (mode === 'incremental') {
      if (await reader.refresh() || active) store = reader;
    } else {
      // The old client/src/results.ts: a new FileStore (every run.json, synchronously) when the journal changed or anything runs.
      const st = fs.statSync(path.join(root, 'journal.jsonl'));
      const stamp = `${st.size}:${st.mtimeMs}`;
      if (stamp !== lastStamp || active) { store = new FileStore(root); store.load(); }
      lastStamp = stamp;
    }
    readUs += cpuSince(c0);
    const c1 = process.cpuUsage();
    if (store) active = anyActive(storeStatus(store));
    statusUs += cpuSince(c1);
    ticks.push(performance.now() - t0);
  };
  const loop = async (until: number) => {
    while (Date.now() < until) {
      await look();
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  };
  await loop(Date.now() + WARMUP_S * 1000);
  ticks.length = 0;
  readUs = 0;
  statusUs = 0;
  // How long the thread was held at a time: an editor's thread that reads synchronously cannot answer meanwhile.
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await loop(Date.now() + WINDOW_S * 1000);
  const cpu = process.cpuUsage(cpu0);
  delay.disable();
  const wall = (performance.now() - t0) / 1000;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const sorted = [...ticks].sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ mode, runs: reader.all().length || RUNS, window_s: wall, cpu_s: cpuS, cpu_pct_of_core: (cpuS / wall) * 100,
    read_cpu_pct: readUs / 1e4 / wall, status_cpu_pct: statusUs / 1e4 / wall, looks: ticks.length,
    event_loop_delay_ms_p99: delay.percentile(99) / 1e6, event_loop_delay_ms_max: delay.max / 1e6,
    look_ms_median: sorted[Math.floor(sorted.length / 2)], look_ms_max: sorted.at(-1) })}\n`);
}

function child(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', __filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}

const lines = (c: ChildProcess) => new Promise<string>((resolve, reject) => {
  let out = '';
  c.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('\n')) resolve(out.split('\n')[0]); });
  c.on('exit', (code) => reject(new Error(`${c.spawnargs.join(' ')} exited ${code} before answering`)));
});

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-bench-reader-'));
  const run = child(['runner', root]);
  await lines(run);
  const rows: Array<Record<string, unknown>> = [];
  try {
    for (const mode of ['incremental', 'full']) {
      const w = child(['watcher', root, mode]);
      const row = JSON.parse(await lines(w)) as Record<string, unknown>;
      rows.push(row);
      const f = (k: string) => (row[k] as number).toFixed(2);
      process.stdout.write(`${mode.padEnd(12)} ${f('cpu_pct_of_core')} % of a core (${f('cpu_s')} s CPU in ${f('window_s')} s; reading the store ${f('read_cpu_pct')} %, the sweeps' status ${f('status_cpu_pct')} %), a look: median ${f('look_ms_median')} ms, max ${f('look_ms_max')} ms; thread held up to ${f('event_loop_delay_ms_max')} ms (p99 ${f('event_loop_delay_ms_p99')})\n`);
    }
  } finally {
    run.kill();
    fs.rmSync(root, { recursive: true, force: true });
  }
  if (!process.argv.includes('--no-write')) {
    writeResults('store-reader', ['core/src/store', 'core/src/runner/status.ts', 'bench/store-reader.ts'], {
      command: 'node --import tsx bench/store-reader.ts', loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
      setup: { runs: RUNS, running: RUNNING, journal_events_per_s: RUNNING, look_interval_ms: TICK_MS, window_s: WINDOW_S, warmup_s: WARMUP_S },
      bar: 'incremental < 5 % of a core', rows,
    });
  }
}

const [role, root, mode] = process.argv.slice(2);
if (role === 'runner') void runner(root);
else if (role === 'watcher') void watcher(root, mode as 'incremental' | 'full');
else void main();
