// The runner with real processes and signals: success, retries with backoff, failure classes
// (missing binary, crash by signal, timeout, OOM-like exit with on_oom scaling), cancel, resume.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cancelRuns, planFile, runPlan } from '../../core/src/runner/runner';
import type { RunnerEvent } from '../../core/src/runner/runner';
import { parseRerun } from '../../core/src/runner/resume';
import type { RerunPolicy } from '../../core/src/runner/resume';
import { FileStore } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import type { FileHost } from '../../core/src/rules/api';
import { alive } from '../../core/src/util/process';
import { parseProcStat } from '../../core/src/runner/telemetry';
import { runPrinted, waitFor } from '../helpers/wait';

const host: FileHost = {
  readFile: (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
  exists: (p) => fs.existsSync(p),
};

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-run-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text, { mode: 0o755 });
  return dir;
}

async function run(dir: string, file: string, opts: { signal?: AbortSignal; onEvent?: (e: RunnerEvent) => void; rerun?: RerunPolicy; telemetryIntervalMs?: number } = {}) {
  const { plan, diagnostics } = planFile(path.join(dir, file), host);
  assert.ok(plan, JSON.stringify(diagnostics));
  const store = new FileStore(path.join(dir, '.expctl'));
  const summary = await runPlan(plan, { store, graceS: 1, random: () => 0, ...opts });
  return { summary, store, plan };
}

const byName = (runs: RunRecord[]) => Object.fromEntries(runs.map((r) => [r.trial.name, r]));

test('a sweep runs every trial; metrics are parsed; tables and journal are written; a re-run skips all', async () => {
  const dir = workspace({
    'job.sh': '#!/bin/sh\necho "@expctl {\\"loss\\": $1}"\necho "@expctl not json"\necho "{\\"acc\\": 0.5}" >> "$EXPCTL_METRICS_FILE"\necho "to stderr" >&2\n',
    'e.experiment.yaml': 'name: e\ncommand: [./job.sh, "{params.x}"]\nparams: { x: 1 }\n',
    's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.x: { values: [1, 2, 3] }\nmax_parallel: 2\nname_template: "x{params.x}"\n',
  });
  const { summary, store } = await run(dir, 's.sweep.yaml');
  assert.deepEqual([summary.succeeded, summary.failed, summary.skipped], [3, 0, 0]);
  const r = byName(summary.runs).x2;
  assert.equal(r.status, 'succeeded');
  assert.deepEqual(r.summary.loss, { last: 2, min: 2, max: 2, mean: 2, count: 1 });
  assert.deepEqual(r.summary.acc, { last: 0.5, min: 0.5, max: 0.5, mean: 0.5, count: 1 });
  assert.equal(r.metrics_bad_lines, 1);
  const runDir = store.runDir(r.id);
  assert.equal(fs.readFileSync(path.join(runDir, 'stderr.log'), 'utf8'), 'to stderr\n');
  assert.match(fs.readFileSync(path.join(runDir, 'stdout.log'), 'utf8'), /@expctl \{"loss": 2\}/);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(runDir, 'params.json'), 'utf8')), { x: 2 });
  assert.match(fs.readFileSync(path.join(runDir, 'config.yaml'), 'utf8'), /x: 2/);
  assert.equal(fs.readFileSync(path.join(dir, '.expctl', 'runs.csv'), 'utf8').trim().split('\n').length, 4);
  assert.ok(store.events().some((e) => e.event === 'run-ended' && e.run_id === r.id));
  const again = await run(dir, 's.sweep.yaml');
  assert.deepEqual([again.summary.succeeded, again.summary.skipped], [0, 3]);
});

// No GPU here: a fake nvidia-smi on PATH replays output recorded on a real RTX 3090 + RTX A6000
// workstation (test/fixtures/nvidia-smi/recorded.csv), one recorded snapshot per call.
test('telemetry: GPUs from (fake, recorded) nvidia-smi, CPU and RSS of the process tree, energy', async () => {
  const fixtures = path.resolve(__dirname, '../fixtures/nvidia-smi');
  const recorded = [29.64, 76.41, 76.41, 30.73, 30.47, 76.53, 46.20, 140.62, 75.92, 64.06]; // GPU 0's power.draw
  const dir = workspace({
    // Two processes in the group: a CPU-bound child holding ~64 MB, and the shell waiting on it.
    'burn.sh': '#!/bin/sh\necho "gpus=$CUDA_VISIBLE_DEVICES"\nnode -e "const b = Buffer.alloc(64 * 2 ** 20, 1); const t = Date.now(); while (Date.now() - t < 1800) {}"\n',
    'e.experiment.yaml': 'name: e\ncommand: [./burn.sh]\nresources: { gpus: 1 }\n',
  });
  const saved = { PATH: process.env.PATH, FAKE_NVIDIA_SMI_STATE: process.env.FAKE_NVIDIA_SMI_STATE };
  process.env.PATH = `${fixtures}:${process.env.PATH}`;
  process.env.FAKE_NVIDIA_SMI_STATE = path.join(dir, 'smi-state');
  try {
    const { summary, store } = await run(dir, 'e.experiment.yaml', { telemetryIntervalMs: 200 });
    const r = summary.runs[0];
    assert.equal(r.status, 'succeeded');
    assert.deepEqual(r.gpus, [0]);
    assert.match(fs.readFileSync(path.join(store.runDir(r.id), 'stdout.log'), 'utf8'), /gpus=0/);
    const lines = fs.readFileSync(path.join(store.runDir(r.id), 'telemetry.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const t = r.telemetry!;
    assert.equal(t.samples, lines.length);
    assert.ok(t.samples >= 2, `samples: ${t.samples}`);
    // Only the run's own GPU is recorded, with values that nvidia-smi reported.
    for (const l of lines) {
      assert.deepEqual(l.gpus.map((g: { index: number }) => g.index), [0]);
      assert.ok(recorded.includes(l.gpus[0].power_w), `power ${l.gpus[0].power_w}`);
    }
    const watts = lines.map((l) => l.gpus[0].power_w as number);
    assert.equal(t.power_w_peak, Math.max(...watts));
    // Energy: this nvidia-smi refuses total_energy_consumption, so power.draw is integrated (trapezoid)
    // from the reading as the attempt started to the one after it exited, over its wall time.
    assert.deepEqual([lines[0].at, lines[lines.length - 1].at], ['start', 'exit']);
    let wh = 0;
    for (let i = 1; i < lines.length; i++) wh += (watts[i] + watts[i - 1]) / 2 * (Date.parse(lines[i].t) - Date.parse(lines[i - 1].t)) / 1000 / 3600;
    wh *= r.attempts[0].duration_s! * 1000 / (Date.parse(lines[lines.length - 1].t) - Date.parse(lines[0].t));
    assert.ok(Math.abs(t.energy_wh! - wh) < wh * 0.02, `${t.energy_wh} vs ${wh}`);
    assert.deepEqual([t.energy_method, t.energy_coverage], ['power_samples', 1]);
    assert.ok(t.cpu_pct_peak! > 10, `cpu peak ${t.cpu_pct_peak}`); // a busy loop, even on a loaded machine
    assert.ok(t.rss_mb_peak! > 64, `rss peak ${t.rss_mb_peak}`);
    assert.match(fs.readFileSync(path.join(dir, '.expctl', 'runs.csv'), 'utf8'), /telemetry\.energy_wh/);
  } finally {
    process.env.PATH = saved.PATH;
    if (saved.FAKE_NVIDIA_SMI_STATE === undefined) delete process.env.FAKE_NVIDIA_SMI_STATE;
    else process.env.FAKE_NVIDIA_SMI_STATE = saved.FAKE_NVIDIA_SMI_STATE;
  }
});

test('retries with backoff until success; every attempt is kept', async () => {
  const dir = workspace({
    'flaky.sh': '#!/bin/sh\nn=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count\n[ "$n" -ge 3 ] || { echo "transient $n" >&2; exit 4; }\n',
    'e.experiment.yaml': 'name: e\ncommand: [./flaky.sh]\nretry: { max_retries: 3, backoff_base_s: 2, max_backoff_s: 0.05, on: [nonzero] }\n',
  });
  const events: string[] = [];
  const { summary } = await run(dir, 'e.experiment.yaml', { onEvent: (e) => { if (e.type === 'retry') events.push(`${e.failure}@${e.waitS}`); } });
  const [r] = summary.runs;
  assert.equal(r.status, 'succeeded');
  assert.deepEqual(r.attempts.map((a) => a.failure_class ?? 'ok'), ['exit:4', 'exit:4', 'ok']);
  assert.equal(r.attempts[1].stderr_tail, 'transient 2');
  assert.deepEqual(events, ['exit:4@0.05', 'exit:4@0.05'], 'backoff capped by max_backoff_s');
  assert.equal(r.attempts[1].waited_s, 0.05);
});

test('failure classes with real processes: missing binary, signal, timeout', async () => {
  const dir = workspace({
    'segv.sh': '#!/bin/sh\nkill -SEGV $$\n',
    'long.sh': '#!/bin/sh\nexec sleep 30\n',
    'e.experiment.yaml': 'name: e\ncommand: ["{params.cmd}"]\nparams: { cmd: ./segv.sh }\nretry: { max_retries: 1, backoff_base_s: 1, max_backoff_s: 0, on: [timeout] }\ntimeout: 1s\n',
    's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.cmd: { values: [./segv.sh, ./no-such-program, ./long.sh] }\nmax_parallel: 3\nname_template: "t{index}"\n',
  });
  const { summary } = await run(dir, 's.sweep.yaml');
  const r = byName(summary.runs);
  assert.deepEqual(r.t0.attempts.map((a) => [a.failure_class, a.signal]), [['signal', 'SIGSEGV']], 'signal is not retried with on: [timeout]');
  assert.equal(r.t1.attempts.length, 1, 'a missing program is never retried');
  assert.equal(r.t1.attempts[0].failure_class, 'spawn_error');
  assert.match(r.t1.attempts[0].message!, /cannot start "\.\/no-such-program": no such program or file/);
  assert.deepEqual(r.t2.attempts.map((a) => a.failure_class), ['timeout', 'timeout'], 'timeout retried once, per retry.on');
  assert.equal(summary.failed, 3);
});

test('OOM-like exit: classified oom, on_oom halves the batch size before the retry', async () => {
  const dir = workspace({
    'train.sh': '#!/bin/sh\n[ "$1" -le 32 ] && { echo "@expctl {\\"bs\\": $1}"; exit 0; }\necho "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB" >&2\nexit 1\n',
    'e.experiment.yaml': 'name: e\ncommand: [./train.sh, "{params.batch_size}"]\nparams: { batch_size: 128 }\nretry: { max_retries: 3, backoff_base_s: 1, max_backoff_s: 0, on: [oom] }\non_oom: { param: params.batch_size, factor: 0.5, min: 16 }\n',
  });
  const { summary } = await run(dir, 'e.experiment.yaml');
  const [r] = summary.runs;
  assert.equal(r.status, 'succeeded');
  assert.deepEqual(r.attempts.map((a) => [a.failure_class ?? 'ok', a.params?.['params.batch_size']]), [['oom', undefined], ['oom', 64], ['ok', 32]]);
  assert.equal(r.summary.bs.last, 32);
});

test('cancel: SIGTERM reaches the whole process group; the run is recorded cancelled', async () => {
  const dir = workspace({
    'tree.sh': '#!/bin/sh\nsleep 30 &\necho $! > child.pid\necho started\nwait\n',
    'e.experiment.yaml': 'name: e\ncommand: [./tree.sh]\nretry: { max_retries: 2 }\n',
  });
  const ac = new AbortController();
  const p = run(dir, 'e.experiment.yaml', { signal: ac.signal, onEvent: (e) => { if (e.type === 'line' && e.line === 'started') ac.abort(); } });
  const { summary } = await p;
  const [r] = summary.runs;
  assert.equal(r.status, 'cancelled');
  assert.equal(r.attempts.length, 1, 'a cancelled attempt is not retried');
  assert.equal(r.attempts[0].failure_class, 'cancelled');
  const child = Number(fs.readFileSync(path.join(dir, 'child.pid'), 'utf8'));
  await waitFor(() => !alive(child), `the grandchild ${child} to die with its group`, 5000);
});

test('git: a run records the commit and whether the repository has changes, its own store aside', async () => {
  const dir = workspace({ 'e.experiment.yaml': 'name: e\ncommand: ["true"]\nrepeat: 2\n' });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir }).toString().trim();
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'experiment');
  const head = git('rev-parse', 'HEAD');
  const first = await run(dir, 'e.experiment.yaml');
  assert.deepEqual(first.summary.runs[0].git, { commit: head, dirty: false });
  // A new commit; the store (.expctl, untracked and full of files now) does not make it dirty.
  fs.writeFileSync(path.join(dir, 'e.experiment.yaml'), 'name: e\ncommand: ["true"]\nrepeat: 3\n');
  git('commit', '-q', '-am', 'three');
  const head2 = git('rev-parse', 'HEAD');
  const second = await run(dir, 'e.experiment.yaml');
  assert.deepEqual(second.summary.runs[0].git, { commit: head2, dirty: false });
  fs.writeFileSync(path.join(dir, 'e.experiment.yaml'), 'name: e\ncommand: ["true"]\nrepeat: 4\n');
  const third = await run(dir, 'e.experiment.yaml');
  assert.deepEqual(third.summary.runs[0].git, { commit: head2, dirty: true }, 'an uncommitted edit makes it dirty');
  // A store outside the repository.
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-store-'));
  const { plan } = planFile(path.join(dir, 'e.experiment.yaml'), host);
  const outside = await runPlan(plan!, { store: new FileStore(elsewhere) });
  assert.deepEqual(outside.runs[0].git, { commit: head2, dirty: true });
});

test('cancel of a queued run (expctl cancel <run>): it never starts; the others run', async () => {
  const dir = workspace({
    'e.experiment.yaml': 'name: e\ncommand: [sh, -c, "sleep 0.3; echo {params.i} >> ran"]\nparams: { i: 0 }\n',
    's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.i: { values: [1, 2, 3] }\nmax_parallel: 1\nname_template: "t{params.i}"\n',
  });
  let cancelled: string[] = [];
  const { summary } = await run(dir, 's.sweep.yaml', { onEvent: (e) => {
    if (e.type !== 'started' || e.run.trial.name !== 't1') return;
    // Another process's view: the store on disk, where t2 waits as a run made ahead.
    const outside = new FileStore(path.join(dir, '.expctl'));
    void cancelRuns(outside, outside.all().filter((r) => r.trial.name === 't2'), false).then((c) => { cancelled = c; });
  } });
  const runs = byName(summary.runs);
  assert.deepEqual(cancelled, [runs.t2.id]);
  assert.deepEqual([runs.t2.status, runs.t2.attempts.length], ['cancelled', 0]);
  assert.deepEqual([runs.t1.status, runs.t3.status], ['succeeded', 'succeeded']);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'ran'), 'utf8').trim().split('\n').sort(), ['1', '3']);
});

test('the helper watching an attempt: a stray SIGTERM leaves it be; after a SIGKILL the attempt is lost, not failed, and the trial runs again', async () => {
  // An attempt's parent is the helper that started it; each run signals it at its first attempt.
  const killHelper = (sig: NodeJS.Signals) => (e: RunnerEvent) => {
    if (e.type === 'attempt' && e.attempt.n === 1 && e.attempt.pid) process.kill(parseProcStat(fs.readFileSync(`/proc/${e.attempt.pid}/stat`, 'utf8'))!.ppid, sig);
  };
  const files = { 'e.experiment.yaml': 'name: e\ncommand: [sh, -c, "echo $EXPCTL_ATTEMPT >> ran; sleep 0.3"]\n' };
  // pkill node: the helper records the attempt's end as usual.
  const term = workspace(files);
  const [t] = (await run(term, 'e.experiment.yaml', { onEvent: killHelper('SIGTERM') })).summary.runs;
  assert.deepEqual([t.status, t.attempts.map((a) => a.failure_class ?? 'ok')], ['succeeded', ['ok']]);
  // SIGKILL: nobody can know how the attempt ended.
  const kill = workspace(files);
  const [k] = (await run(kill, 'e.experiment.yaml', { onEvent: killHelper('SIGKILL') })).summary.runs;
  assert.deepEqual([k.status, k.attempts.map((a) => a.failure_class ?? 'ok')], ['succeeded', ['interrupted', 'ok']]);
  assert.match(k.attempts[0].message!, /watching this attempt was killed/);
  assert.equal(fs.readFileSync(path.join(kill, 'ran'), 'utf8'), '1\n2\n', 'the lost attempt ran on to its end, and the trial ran again');
});

test('resume: failed trials run again only with --rerun failed; an interrupted run is picked up', async () => {
  const dir = workspace({
    'e.experiment.yaml': 'name: e\ncommand: [sh, -c, "exit {params.code}"]\nparams: { code: 0 }\n',
    's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.code: { values: [0, 1] }\nname_template: "c{params.code}"\n',
  });
  const first = await run(dir, 's.sweep.yaml');
  assert.deepEqual([first.summary.succeeded, first.summary.failed], [1, 1]);
  const second = await run(dir, 's.sweep.yaml');
  assert.deepEqual([second.summary.succeeded, second.summary.failed, second.summary.skipped], [0, 0, 2]);
  const third = await run(dir, 's.sweep.yaml', { rerun: parseRerun('failed') });
  assert.deepEqual([third.summary.failed, third.summary.skipped], [1, 1]);
  assert.match(third.summary.runs[0].id, /-2$/, 'a new run of the same trial');
  // A run left `running` by a runner that no longer exists is interrupted, and runs again.
  const store = new FileStore(path.join(dir, '.expctl'));
  const ok = store.all().find((r) => r.trial.name === 'c0')!;
  store.save({ ...ok, status: 'running', runner_pid: 2 ** 22 + 1, attempts: [{ n: 1, started: ok.created }] }, 'test');
  await store.flush();
  fs.rmSync(path.join(store.runDir(ok.id), 'attempt-1.status')); // the attempt left no trace
  const fourth = await run(dir, 's.sweep.yaml');
  const resumed = fourth.summary.runs.find((r) => r.trial.name === 'c0')!;
  assert.equal(resumed.status, 'succeeded');
  assert.deepEqual(resumed.attempts.map((a) => a.failure_class ?? 'ok'), ['interrupted', 'ok']);
});

test('expctl run: Ctrl-C stops launching, terminates children, exits 130', async () => {
  const dir = workspace({
    'e.experiment.yaml': 'name: e\ncommand: [sh, -c, "echo started; exec sleep 30"]\nrepeat: 3\n',
  });
  const child = spawn(process.execPath, [path.resolve('dist/cli.js'), 'run', 'e.experiment.yaml', '--store', '.expctl'], { cwd: dir });
  let out = '';
  await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('▶')) resolve();
  }));
  // Once the trial has written to its log, it is certainly running.
  await runPrinted(path.join(dir, '.expctl'), 'started');
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 130);
  const store = new FileStore(path.join(dir, '.expctl'));
  // The running trial is cancelled; the others, made ahead while they waited, never started.
  const runs = store.all().sort((a, b) => a.trial.repeat - b.trial.repeat);
  assert.deepEqual(runs.map((r) => [r.status, r.attempts.length]), [['cancelled', 1], ...runs.slice(1).map(() => ['cancelled', 0])]);
});

test('kill -9 of the runner at 20 random moments: every trial succeeds exactly once, every run.json parses', async () => {
  const TRIALS = 200;
  const dir = workspace({
    // Each trial appends its name once, after a short while (so kills land mid-trial).
    'e.experiment.yaml': 'name: e\ncommand: [sh, -c, "sleep 0.02; echo {params.i} >> counter"]\nparams: { i: 0 }\n',
    's.sweep.yaml': `experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.i: { range: { min: 1, max: ${TRIALS}, step: 1 } }\nmax_parallel: 8\nname_template: "t{params.i}"\n`,
  });
  let seed = 20261123;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const start = () => spawn(process.execPath, [path.resolve('dist/cli.js'), 'run', 's.sweep.yaml', '--store', '.expctl'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = (c: ReturnType<typeof start>) => new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
  let kills = 0;
  for (; kills < 20; kills++) {
    const c = start();
    const ended = exited(c);
    // Kill after a random number of finished trials (0–15), counted from its output.
    const after = Math.floor(rnd() * 16);
    let seen = 0;
    const killed = await new Promise<boolean>((resolve) => {
      c.stdout!.on('data', (d: Buffer) => {
        seen += (d.toString().match(/^\[\d+\/\d+\] [✓✗]/gmu) ?? []).length;
        if (seen >= after) { c.kill('SIGKILL'); resolve(true); }
      });
      void ended.then(() => resolve(false));
    });
    await ended;
    if (!killed) break; // it finished before we could kill it
  }
  const final = start();
  let out = '';
  final.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  final.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  assert.equal(await exited(final), 0, out);
  const counts = new Map<string, number>();
  for (const line of fs.readFileSync(path.join(dir, 'counter'), 'utf8').trim().split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n !== 1);
  // On failure, the story of the first trial that ran twice, from the journal.
  const story = () => fs.readFileSync(path.join(dir, '.expctl', 'journal.jsonl'), 'utf8').split('\n').filter((l) => l.includes(`"t${twice[0][0]}-`)).join('\n');
  assert.deepEqual(twice, [], twice.length ? `trials that ran more than once; the first one's journal:\n${story()}` : '');
  const litter = fs.readdirSync(path.join(dir, '.expctl', 'runs')).flatMap((id) => fs.readdirSync(path.join(dir, '.expctl', 'runs', id)).filter((f) => f.endsWith('.tmp')));
  assert.deepEqual(litter, [], 'temp files left in run folders');
  assert.equal(counts.size, TRIALS);
  const runs = path.join(dir, '.expctl', 'runs');
  let succeeded = 0;
  for (const id of fs.readdirSync(runs)) {
    const rec = JSON.parse(fs.readFileSync(path.join(runs, id, 'run.json'), 'utf8')) as RunRecord;
    if (rec.status === 'succeeded') succeeded++;
  }
  assert.equal(succeeded, TRIALS);
  assert.ok(kills >= 10, `only ${kills} kills landed`);
});
