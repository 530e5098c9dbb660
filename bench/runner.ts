// The runner against its peers, in the same run on the same commands (issue bars in brackets):
//   (a) 1,000 × `sleep 0.1` at parallelism 8: `expctl run` (store writes included) vs `xargs -P 8`  [≤ 1.10]
//   (b) 1,000 × `true` at parallelism 8: `expctl run` vs a bare Node loop spawning the same   [≤ 1.5]
//       processes (and the bare loop vs `xargs -P 8`, for reference)
//   (c) peak RSS of `expctl run` with a 10,000-trial sweep queued                              [≤ 200 MB]
// (a) and (b): the median of BENCH_REPEATS (default 3) interleaved repeats.
// Run: node esbuild.mjs && node --import tsx bench/runner.ts   (writes bench/results/runner.json)
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeResults } from './meta';

const CLI = path.resolve('dist/cli.js');
const P = 8;

function workspace(command: string, trials: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-bench-run-'));
  fs.writeFileSync(path.join(dir, 'e.experiment.yaml'), `name: bench\ncommand: ${command}\nparams: { i: 0 }\n`);
  fs.writeFileSync(path.join(dir, 's.sweep.yaml'),
    `experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.i: { range: { min: 1, max: ${trials}, step: 1 } }\nmax_parallel: ${P}\nname_template: "t{params.i}"\n`);
  return dir;
}

/** Wall seconds of a command; with `peak`, also the child's peak RSS (VmHWM) in MB, sampled. */
async function timed(cmd: string, args: string[], cwd: string, input?: string, peak = false): Promise<{ s: number; peakMb?: number }> {
  const t0 = process.hrtime.bigint();
  const child = spawn(cmd, args, { cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'inherit'] });
  if (input !== undefined) child.stdin!.end(input);
  let peakMb = 0;
  const sample = peak ? setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakMb = Math.max(peakMb, Number(m[1]) / 1024);
    } catch { /* exited */ }
  }, 50) : undefined;
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  clearInterval(sample);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}`);
  return { s: Number(process.hrtime.bigint() - t0) / 1e9, peakMb: peak ? peakMb : undefined };
}

/**
 * A bare Node loop: spawn `cmd` n times, `P` at a time, wait for each — no store, no scheduling.
 * Source text, so that the same loop runs in this process and as a fresh one.
 */
const BARE_LOOP = `async (spawn, cmd, n, P) => {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await new Promise((resolve, reject) => { const c = spawn(cmd, [], { stdio: 'ignore' }); c.on('exit', resolve); c.on('error', reject); });
    }
  };
  await Promise.all(Array.from({ length: P }, worker));
}`;

async function bareLoop(cmd: string, n: number): Promise<number> {
  const loop = new Function(`return ${BARE_LOOP}`)() as (s: typeof spawn, cmd: string, n: number, p: number) => Promise<void>;
  const t0 = process.hrtime.bigint();
  await loop(spawn, cmd, n, P);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The same loop as its own fresh Node process (start-up included): a smaller process forks faster than this one. */
const bareProcess = (cmd: string, n: number) =>
  timed(process.execPath, ['-e', `(${BARE_LOOP})(require('node:child_process').spawn, ${JSON.stringify(cmd)}, ${n}, ${P})`], os.tmpdir());

const expctl = (dir: string, peak = false) => timed(process.execPath, [CLI, 'run', 's.sweep.yaml', '--store', '.expctl'], dir, undefined, peak);
const xargs = (n: number, command: string) => timed('xargs', ['-P', String(P), '-I{}', 'sh', '-c', command], os.tmpdir(), Array.from({ length: n }, (_, i) => `${i}\n`).join(''));

/** Repeats, interleaving ours and the peers', so a burst of load on the shared machine hits both. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const N = 1000;
  const samples: Record<string, number[]> = { a: [], ax: [], b: [], bl: [], bp: [], bx: [] };
  for (let i = 0; i < REPEATS; i++) {
    samples.a.push((await expctl(workspace('[sleep, "0.1"]', N))).s);
    samples.ax.push((await xargs(N, 'sleep 0.1')).s);
    samples.b.push((await expctl(workspace('["true"]', N))).s);
    samples.bl.push(await bareLoop('true', N));
    samples.bp.push((await bareProcess('true', N)).s);
    samples.bx.push((await xargs(N, 'true')).s);
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const rows: Record<string, unknown>[] = [
    { case: `(a) ${N} × sleep 0.1, P=${P}`, expctl_s: m.a, peer: 'xargs -P 8', peer_s: m.ax, ratio: m.a / m.ax, bar: '≤ 1.10' },
    { case: `(b) ${N} × true, P=${P}`, expctl_s: m.b, peer: 'bare Node spawn loop', peer_s: m.bl, ratio: m.b / m.bl, bar: '≤ 1.5' },
    { case: '(b) reference', expctl_s: '', peer: 'bare Node loop vs xargs -P 8', peer_s: m.bx, ratio: m.bl / m.bx, bar: '(≈ 2.7 expected)' },
    { case: '(b) reference', expctl_s: m.b, peer: 'bare loop as its own process', peer_s: m.bp, ratio: m.b / m.bp, bar: '' },
  ];
  // (c) memory with 10,000 trials queued (short trials: the queue is what is measured)
  const c = await expctl(workspace('["true"]', 10_000), true);
  rows.push({ case: '(c) 10,000 trials queued', expctl_s: c.s, peer: 'peak RSS MB', peer_s: c.peakMb, ratio: '', bar: '≤ 200 MB' });
  const round = (x: unknown) => (typeof x === 'number' ? Number(x.toFixed(3)) : x);
  console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]))));
  writeResults('runner', ['core/src/runner', 'core/src/targets', 'core/src/store', 'cli'], {
    command: 'node --import tsx bench/runner.ts', method: `median of ${REPEATS} interleaved repeats per figure`, loadavg: os.loadavg(), rows, samples,
  });
}

void main();
