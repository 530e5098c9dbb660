// Runners sharing a results store, as users start them: the bundled CLI (dist/cli.js, built by
// `node esbuild.mjs`) in real processes. One runner per sweep (the second refuses, naming the
// first); runners of different sweeps keep one consistent store; what a run's folder holds.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCsv } from '../../core/src/util/csv';
import { diskHost } from '../../core/src/util/disk-host';
import { planFile } from '../../core/src/runner/runner';
import { waitFor } from '../helpers/wait';

const CLI = path.resolve('dist/cli.js');

interface Runner { pid: number; exit: Promise<{ code: number | null; out: string; err: string }> }

/** `expctl run …` in the background. */
function start(cwd: string, args: string[]): Runner {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { cwd });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return { pid: child.pid!, exit: new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err }))) };
}

const cli = (cwd: string, args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** Trials that wait for the file `go` in the workspace: the test decides when they may end. */
function workspace(trials: number): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-concurrent-'));
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'),
    'name: e\ncommand: [sh, -c, "while [ ! -f go ]; do sleep 0.02; done; echo ran {params.i}"]\nparams: { i: 0 }\n');
  fs.writeFileSync(path.join(ws, 's.sweep.yaml'),
    `experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.i: { values: [${Array.from({ length: trials }, (_, i) => i).join(', ')}] }\nmax_parallel: 2\nname_template: "t{params.i}"\n`);
  return ws;
}

interface StoredRun { id: string; sweep_id: string; status: string; trial: { key: string }; attempts: unknown[] }

function storedRuns(store: string): StoredRun[] {
  const dir = path.join(store, 'runs');
  return fs.readdirSync(dir).filter((id) => !id.startsWith('.')).map((id) => JSON.parse(fs.readFileSync(path.join(dir, id, 'run.json'), 'utf8')) as StoredRun);
}

/** The sweep ids that have a `run-started` event in the store's journal. */
function sweepsStarted(store: string): Set<string> {
  let text = '';
  try { text = fs.readFileSync(path.join(store, 'journal.jsonl'), 'utf8'); } catch { /* not yet */ }
  const started = new Set<string>();
  for (const line of text.split('\n')) {
    try {
      const e = JSON.parse(line) as { event: string; sweep_id: string };
      if (e.event === 'run-started') started.add(e.sweep_id);
    } catch { /* blank, or a line being appended */ }
  }
  return started;
}

/**
 * Two runners of one sweep started together: exactly one runs it; the other, and a `--detach`ed
 * one started meanwhile, exit 1 naming it. No trial runs twice.
 */
async function assertOneRan(ws: string, trials: number): Promise<void> {
  const runners = [start(ws, ['s.sweep.yaml']), start(ws, ['s.sweep.yaml'])];
  // The trials wait for `go`: only a runner that refused can end before it is there.
  const first = await Promise.race(runners.map((r, i) => r.exit.then((x) => ({ i, x }))));
  const [winner, lost] = [runners[1 - first.i], first.x];
  assert.equal(lost.code, 1, lost.out + lost.err);
  const [sweep] = fs.readdirSync(path.join(ws, '.expctl', 'sweeps'));
  const refusal = (err: string) => `expctl: s: another runner is running this sweep: pid ${winner.pid} on this host, since ${/since (\S+)\n/.exec(err)?.[1]}\n` +
    `  follow it: expctl status -w ${sweep} --store .expctl\n  stop it:   expctl cancel ${sweep} --store .expctl\n`;
  assert.equal(lost.err, refusal(lost.err));
  const detached = cli(ws, ['run', 's.sweep.yaml', '--detach']);
  assert.equal(detached.code, 1, detached.out);
  assert.equal(detached.err, refusal(detached.err), 'refused before detaching, not in a log');
  fs.writeFileSync(path.join(ws, 'go'), '');
  const won = await winner.exit;
  assert.equal(won.code, 0, won.out + won.err);
  assert.match(won.out, new RegExp(`${trials} trials: ${trials} succeeded, 0 failed`));
  const runs = storedRuns(path.join(ws, '.expctl'));
  assert.equal(runs.length, trials, 'every trial has one run, none two');
  assert.equal(new Set(runs.map((r) => r.trial.key)).size, trials);
  assert.ok(runs.every((r) => r.status === 'succeeded' && r.attempts.length === 1));
  assert.deepEqual(fs.readdirSync(path.join(ws, '.expctl', 'sweeps', sweep)).sort(), ['sweep.json', 'trials.jsonl'], 'the lock is released, nothing left behind');
}

test('two `expctl run` of one sweep started together: one runs it, the other exits 1 naming its pid; no trial runs twice', { timeout: 60_000 }, async () => {
  await assertOneRan(workspace(6), 6);
});

test('a stale lock (its runner died) is taken over — by exactly one of two runners started together', { timeout: 60_000 }, async () => {
  const ws = workspace(4);
  const sweep = planFile(path.join(ws, 's.sweep.yaml'), diskHost).plan!.sweepId;
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  fs.mkdirSync(path.join(ws, '.expctl', 'sweeps', sweep), { recursive: true });
  fs.writeFileSync(path.join(ws, '.expctl', 'sweeps', sweep, 'runner.lock'), JSON.stringify({ pid: dead, host: os.hostname(), started: '2026-01-01T00:00:00.000Z' }));
  await assertOneRan(ws, 4);
});

test('Ctrl-C stops the runner and releases the sweep', { timeout: 60_000 }, async () => {
  const ws = workspace(2);
  const r = start(ws, ['s.sweep.yaml']);
  const store = path.join(ws, '.expctl');
  await waitFor(() => sweepsStarted(store).size === 1, 'a trial to start');
  const [sweep] = fs.readdirSync(path.join(store, 'sweeps'));
  assert.ok(fs.existsSync(path.join(store, 'sweeps', sweep, 'runner.lock')));
  process.kill(r.pid, 'SIGINT');
  assert.equal((await r.exit).code, 130);
  assert.equal(fs.existsSync(path.join(store, 'sweeps', sweep, 'runner.lock')), false);
});

test('two sweeps with the same trial names and params into one store at once: both complete, runs.csv has every run of both', { timeout: 90_000 }, async () => {
  const ws = workspace(10);
  const sweep = fs.readFileSync(path.join(ws, 's.sweep.yaml'), 'utf8');
  fs.writeFileSync(path.join(ws, 'a.sweep.yaml'), `name: a\n${sweep}`);
  fs.writeFileSync(path.join(ws, 'b.sweep.yaml'), `name: b\n${sweep}`);
  const store = path.join(ws, '.expctl');
  const runners = [start(ws, ['a.sweep.yaml']), start(ws, ['b.sweep.yaml'])];
  // Both have loaded the store and started runs before any trial may end: each writes its tables
  // while the other is adding runs.
  await waitFor(() => sweepsStarted(store).size === 2, 'both sweeps to start a trial');
  fs.writeFileSync(path.join(ws, 'go'), '');
  for (const r of runners) {
    const x = await r.exit;
    assert.equal(x.code, 0, x.out + x.err);
    assert.match(x.out, /10 trials: 10 succeeded, 0 failed/);
  }
  const runs = storedRuns(store);
  assert.equal(runs.length, 20);
  const csv = parseCsv(fs.readFileSync(path.join(store, 'runs.csv'), 'utf8'));
  const col = (name: string) => csv.header.indexOf(name);
  const rows = csv.rows.map((r) => ({ id: r.cells[col('run_id')], sweep: r.cells[col('sweep_id')], status: r.cells[col('status')], name: r.cells[col('trial_name')] }));
  assert.deepEqual(rows.map((r) => r.id).sort(), runs.map((r) => r.id).sort(), 'runs.csv has every run of both sweeps');
  assert.ok(rows.every((r) => r.status === 'succeeded'), 'with its final state');
  for (const s of new Set(runs.map((r) => r.sweep_id))) {
    assert.deepEqual(rows.filter((r) => r.sweep === s).map((r) => r.name).sort(), Array.from({ length: 10 }, (_, i) => `t${i}`).sort());
  }
  for (const r of runs) assert.equal(fs.readFileSync(path.join(store, 'runs', r.id, 'stdout.log'), 'utf8').split('\n').filter(Boolean).length, 1, `${r.id} ran once`);
});

test('params.json holds every resolved param, nested as {params.x} sees them — also for a single experiment', { timeout: 60_000 }, () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-params-'));
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'),
    'name: e\ncommand: [sh, -c, "cat \\"$EXPCTL_PARAMS_FILE\\""]\nparams: { lr: 0.1, bs: 32, model: { depth: 2, act: relu } }\n');
  fs.writeFileSync(path.join(ws, 's.sweep.yaml'),
    'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.model.depth: { values: [4] }\n  timeout: { values: ["1h"] }\n');
  for (const [file, expected] of [
    ['e.experiment.yaml', { lr: 0.1, bs: 32, model: { depth: 2, act: 'relu' } }],
    ['s.sweep.yaml', { lr: 0.1, bs: 32, model: { depth: 4, act: 'relu' } }],
  ] as const) {
    const r = cli(ws, ['run', file, '--store', `.expctl-${file}`]);
    assert.equal(r.code, 0, r.out + r.err);
    const [run] = storedRuns(path.join(ws, `.expctl-${file}`));
    const dir = path.join(ws, `.expctl-${file}`, 'runs', run.id);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'params.json'), 'utf8')), expected);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'stdout.log'), 'utf8')), expected, 'what the run read from $EXPCTL_PARAMS_FILE');
  }
  // A retry that halves the batch size after an OOM: each attempt reads the params it runs with.
  fs.writeFileSync(path.join(ws, 'oom.experiment.yaml'), 'name: oom\nparams: { bs: 64, lr: 0.1 }\n' +
    'command: [sh, -c, "cp \\"$EXPCTL_PARAMS_FILE\\" attempt-{attempt}.json; [ {params.bs} -le 16 ] || { echo CUDA out of memory >&2; exit 1; }"]\n' +
    'retry: { max_retries: 3, backoff_initial_s: 0 }\non_failure:\n  oom: { scale: { params.bs: 0.5 } }\n');
  const r = cli(ws, ['run', 'oom.experiment.yaml', '--store', '.expctl-oom']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.deepEqual([1, 2, 3].map((n) => JSON.parse(fs.readFileSync(path.join(ws, `attempt-${n}.json`), 'utf8'))),
    [{ bs: 64, lr: 0.1 }, { bs: 32, lr: 0.1 }, { bs: 16, lr: 0.1 }]);
});

test('a new store is ignored by git (.gitignore: *); a .gitignore the user changed or deleted stays so', { timeout: 60_000 }, () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-gitignore-'));
  assert.equal(spawnSync('git', ['init', '-q'], { cwd: ws }).status, 0);
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\ncommand: [sh, -c, "echo hi"]\n');
  const untracked = () => spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: ws, encoding: 'utf8' }).stdout;
  assert.equal(cli(ws, ['run', 'e.experiment.yaml']).code, 0);
  assert.equal(fs.readFileSync(path.join(ws, '.expctl', '.gitignore'), 'utf8'), '*\n');
  assert.equal(untracked(), '?? e.experiment.yaml\n', 'nothing of the store shows up in git');
  fs.writeFileSync(path.join(ws, '.expctl', '.gitignore'), '*\n!runs.csv\n');
  assert.equal(cli(ws, ['run', 'e.experiment.yaml', '--rerun', 'all']).code, 0);
  assert.equal(fs.readFileSync(path.join(ws, '.expctl', '.gitignore'), 'utf8'), '*\n!runs.csv\n');
  fs.rmSync(path.join(ws, '.expctl', '.gitignore'));
  assert.equal(cli(ws, ['run', 'e.experiment.yaml', '--rerun', 'all']).code, 0);
  assert.equal(fs.existsSync(path.join(ws, '.expctl', '.gitignore')), false);
});
