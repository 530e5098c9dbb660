// The bundled CLI (dist/cli.js) as users run it: output formats, exit codes, and clear messages
// without stack traces for user errors.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runPrinted, waitFor } from '../helpers/wait';
import type { CancelResult, DetachResult, ErrorResult, LsResult, PlanResult, StatusResult } from '../../core/src/contract';

const CLI = path.resolve('dist/cli.js');
const run = (args: string[], opts: { cwd?: string; shell?: string; env?: NodeJS.ProcessEnv } = {}) => {
  const r = opts.shell
    ? spawnSync('bash', ['-c', opts.shell], { encoding: 'utf8', cwd: opts.cwd, env: opts.env })
    : spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: opts.cwd, env: opts.env });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-'));
fs.writeFileSync(path.join(dir, 'train.py'), '');
fs.writeFileSync(path.join(dir, 'ok.experiment.yaml'), 'name: ok\ncommand: [python3, train.py]\nparams: { lr: 0.1, bs: 32 }\nrepeat: 2\n');
fs.writeFileSync(path.join(dir, 'bad.experiment.yaml'), 'name: bad\ncommand: [python3, train.py]\nrepeat: 0\nretry: { max_retries: 1, backoff_base_s: 2, on: [oom] }\nmetrics: { goal: minimise }\n');
fs.writeFileSync(path.join(dir, 's.sweep.yaml'), 'experiment: ./ok.experiment.yaml\nmethod: grid\nparameters:\n  params.lr: { values: [0.1, 0.01] }\n  params.bs: { values: [16, "a,b"] }\nname_template: "lr{params.lr}-bs{params.bs}"\n');

test('<command> --help and -h print that command\'s usage, exit 0 (it was "Unknown option")', () => {
  for (const [args, first] of [[['compare', '--help'], '  expctl compare <runs>'], [['plan', '-h'], '  expctl plan <sweep|experiment>'], [['run', 'x.sweep.yaml', '--help'], '  expctl run <sweep|experiment>']] as const) {
    const r = run([...args]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.split('\n')[1].slice(0, first.length), first, args.join(' '));
    assert.doesNotMatch(r.out, /expctl validate/, 'only that command');
  }
  assert.match(run(['compare', '--help']).out, /--group-by KEY/, 'compare lists the options it shares with stats');
});

test('validate: the examples are clean', () => {
  // Whatever kubeconfig this machine has: the examples' contexts (kind-expctl…) are not in it.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-home-'));
  const r = run(['validate', 'examples'], { env: { ...process.env, HOME: home, KUBECONFIG: '' } });
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(r.out, '');
  assert.match(r.err, /^\d+ files checked: 0 errors, 0 warnings\n$/);
});

test('validate: file:line:col: severity: message [rule], sorted, exit 1', () => {
  const r = run(['validate', 'bad.experiment.yaml'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.equal(r.out,
    'bad.experiment.yaml:3:9: error: repeat must be ≥ 1, got 0. [schema]\n' +
    'bad.experiment.yaml:5:18: error: "minimise" is not allowed for metrics.goal. Allowed: minimize, maximize. Did you mean "minimize"? [schema]\n');
  assert.equal(r.err, '1 file checked: 2 errors, 0 warnings\n');
});

test('validate --json: machine-readable, 1-based positions', () => {
  const r = run(['validate', '--json', 'bad.experiment.yaml'], { cwd: dir });
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out);
  assert.equal(j.errors, 2);
  assert.deepEqual(j.diagnostics[0], { file: 'bad.experiment.yaml', line: 3, column: 9, endLine: 3, endColumn: 10, severity: 'error', rule: 'schema', message: 'repeat must be ≥ 1, got 0.' });
});

test('validate: a folder finds our files only', () => {
  const r = run(['validate', dir]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^3 files checked: 2 errors/);
});

test('plan: table, csv (quoted) and json', () => {
  const t = run(['plan', 's.sweep.yaml'], { cwd: dir });
  assert.equal(t.code, 0, t.err);
  assert.equal(t.out.split('\n')[0], 's.sweep.yaml: 4 trials (method grid, max_parallel 1)');
  assert.match(t.out.split('\n')[1], /^#\s+name\s+key\s+params\.lr\s+params\.bs$/);
  const c = run(['plan', '--csv', 's.sweep.yaml'], { cwd: dir });
  assert.equal(c.out.split('\n')[0], 'index,name,key,repeat,params.lr,params.bs');
  assert.match(c.out.split('\n')[2], /^1,"lr0\.1-bsa,b",[0-9a-f]{16},0,0\.1,"a,b"$/);
  const j = JSON.parse(run(['plan', '--json', 's.sweep.yaml'], { cwd: dir }).out);
  assert.equal(j.total, 4);
  assert.deepEqual(j.trials[3].params, { 'params.lr': 0.01, 'params.bs': 'a,b' });
});

test('plan: an experiment plans its repeats; --limit truncates', () => {
  const r = run(['plan', 'ok.experiment.yaml'], { cwd: dir });
  assert.equal(r.out.split('\n')[0], 'ok.experiment.yaml: 2 runs of experiment ok');
  const l = run(['plan', '--limit', '1', 's.sweep.yaml'], { cwd: dir });
  assert.match(l.out, /… 3 more \(use --limit to change\)\n$/);
});

test('plan: a file with errors prints them and exits 1', () => {
  const r = run(['plan', 'bad.experiment.yaml'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot plan, 2 errors/);
});

test('user errors: clear message, no stack trace, exit 2 for usage and 1 for inputs', () => {
  for (const [args, code, msg] of [
    [['frobnicate'], 2, /unknown command "frobnicate"/],
    [['validate'], 2, /validate needs at least one file/],
    [['plan', '--limit', 'x', 's.sweep.yaml'], 2, /--limit must be a positive whole number/],
    [['validate', '--bogus', 'x'], 2, /Unknown option '--bogus'/],
    [['plan', 'missing.sweep.yaml'], 1, /missing\.sweep\.yaml: no such file/],
    [['validate', 'nowhere/'], 1, /nowhere\/: no such file or folder/],
  ] as const) {
    const r = run([...args], { cwd: dir });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, msg);
    assert.doesNotMatch(r.err, /\n\s+at /, 'stack trace printed');
  }
});

test('a closed pipe is not an error', () => {
  const r = run([], { shell: `node ${CLI} plan --csv examples/kafka-loading/formats.sweep.yaml | head -1; echo "rc=\${PIPESTATUS[0]}"` });
  assert.equal(r.out, 'index,name,key,repeat,data.kafka.topic,data.kafka.format,data.kafka.compression\nrc=0\n');
  assert.equal(r.err, '');
});

test('--version and --help', () => {
  assert.match(run(['--version']).out, /^\d+\.\d+\.\d+\n$/);
  const h = run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /expctl validate <file\|folder>/);
});

test('run, ls and logs: the store as users read it', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-run-'));
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\ncommand: [sh, -c, "echo out-{repeat}; echo err-{repeat} >&2; exit {repeat}"]\nrepeat: 2\n');
  const r = run(['run', 'e.experiment.yaml', '--store', '.expctl'], { cwd: ws });
  assert.equal(r.code, 1, 'a failed trial makes the exit code 1');
  assert.match(r.out, /2 trials: 1 succeeded, 1 failed, 0 cancelled, 0 skipped/);
  const ls = run(['ls', '--store', '.expctl'], { cwd: ws });
  assert.equal(ls.code, 0, ls.err);
  assert.match(ls.out.split('\n')[0], /^run\s+sweep\s+status\s+attempts\s+started\s+duration\s+last failure$/);
  assert.match(ls.out, /^e-0-r1-\S+\s+e-\S+\s+failed\s+1\s+.*exit:1$/m);
  const failedOnly = JSON.parse(run(['ls', '--status', 'failed', '--json', '--store', '.expctl'], { cwd: ws }).out).runs;
  assert.equal(failedOnly.length, 1);
  const logs = run(['logs', failedOnly[0].id.slice(0, 6), '--store', '.expctl'], { cwd: ws });
  assert.equal(logs.out, 'out-1\n');
  assert.equal(logs.err, 'err-1\n');
  const ambiguous = run(['logs', 'e-', '--store', '.expctl'], { cwd: ws });
  assert.equal(ambiguous.code, 1);
  assert.match(ambiguous.err, /"e-" matches 2 runs/);
  const dry = run(['run', 'e.experiment.yaml', '--dry-run', '--store', '.expctl'], { cwd: ws });
  assert.match(dry.out, /dry run: 2 trials: 0 to run, 2 skipped \(1 succeeded, 1 failed\)/);
});

test('logs -f follows a running run until it ends', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-follow-'));
  // The run waits for a file the test creates after `logs -f` has printed the first line.
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\ncommand: [sh, -c, "echo first; while [ ! -f go ]; do sleep 0.05; done; echo second"]\n');
  const { spawn } = await import('node:child_process');
  const runner = spawn(process.execPath, [CLI, 'run', 'e.experiment.yaml', '--store', '.expctl'], { cwd: ws });
  const runnerExit = new Promise((r) => runner.on('exit', r));
  const id = await runPrinted(path.join(ws, '.expctl'), 'first');
  const follower = spawn(process.execPath, [CLI, 'logs', '-f', id, '--store', '.expctl'], { cwd: ws });
  let out = '';
  follower.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out === 'first\n') fs.writeFileSync(path.join(ws, 'go'), '');
  });
  const code = await new Promise((r) => follower.on('exit', r));
  assert.equal(code, 0);
  assert.equal(out, 'first\nsecond\n');
  await runnerExit;
});

type StoredRun = { id: string; status: string; runner_pid?: number; sweep_id: string; attempts: unknown[] };

/** The runs of a store once `pred` holds for them (read from their run.json files). */
function waitForRuns(storeDir: string, pred: (runs: StoredRun[]) => boolean): Promise<StoredRun[]> {
  const dir = path.join(storeDir, 'runs');
  return waitFor(() => {
    const runs = (fs.existsSync(dir) ? fs.readdirSync(dir) : []).filter((x) => !x.startsWith('.'))
      .flatMap((id): StoredRun[] => { try { return [JSON.parse(fs.readFileSync(path.join(dir, id, 'run.json'), 'utf8'))]; } catch { return []; } });
    return pred(runs) ? runs : undefined;
  }, `runs in ${storeDir} to reach the expected states`);
}

test('run --detach keeps running after the command returns; cancel <sweep> stops it', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-detach-'));
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\ncommand: [sh, -c, "sleep 30"]\nrepeat: 3\nretry: { max_retries: 2 }\n');
  const r = run(['run', 'e.experiment.yaml', '--detach', '--json', '--store', '.expctl'], { cwd: ws });
  assert.equal(r.code, 0, r.err);
  const started = JSON.parse(r.out) as { version: number; status: string; sweep_id: string; pid: number };
  assert.deepEqual([started.version, started.status], [1, 'started']);
  assert.ok(started.pid > 0);
  const sweep = started.sweep_id;
  const running = (await waitForRuns(path.join(ws, '.expctl'), (rs) => rs.some((x) => x.status === 'running'))).find((x) => x.status === 'running')!;
  const c = run(['cancel', sweep, '--store', '.expctl'], { cwd: ws });
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /^cancelling /);
  const after = await waitForRuns(path.join(ws, '.expctl'), (rs) => rs.length > 0 && rs.every((x) => x.status === 'cancelled'));
  // No further trial was started: the runs made ahead for the others have no attempt.
  assert.deepEqual(after.filter((x) => x.attempts.length > 0).map((x) => x.id), [running.id], 'no further trial was started');
  assert.match(fs.readFileSync(path.join(ws, '.expctl', 'sweeps', sweep, 'runner.log'), 'utf8'), /SIGTERM: stopping/);
});

test('cancel <run> stops that run without a retry; the runner goes on with the others', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-cancel-'));
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\ncommand: [sh, -c, "[ {repeat} = 1 ] || sleep 30"]\nrepeat: 2\nretry: { max_retries: 2 }\n');
  run(['run', 'e.experiment.yaml', '--detach', '--store', '.expctl'], { cwd: ws });
  const [first] = await waitForRuns(path.join(ws, '.expctl'), (rs) => rs.some((x) => x.status === 'running'));
  const c = run(['cancel', first.id, '--store', '.expctl'], { cwd: ws });
  assert.equal(c.out, `cancelling ${first.id}\n`);
  const done = await waitForRuns(path.join(ws, '.expctl'), (rs) => rs.length === 2 && rs.every((x) => x.status !== 'running' && x.status !== 'queued'));
  const byId = Object.fromEntries(done.map((x) => [x.id, x as unknown as { status: string; attempts: unknown[] }]));
  assert.equal(byId[first.id].status, 'cancelled');
  assert.equal(byId[first.id].attempts.length, 1);
  assert.deepEqual(done.map((x) => x.status).sort(), ['cancelled', 'succeeded']);
});

test('status: per-sweep counts, the running trial with its latest metric; --watch ends once the sweep is done', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-status-'));
  // Trial 1 succeeds at once; trial 2 reports a metric, then waits for the test's go-ahead.
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\nmetrics: { primary: loss, goal: minimize }\n' +
    'command: [sh, -c, "echo \\"@expctl {\\\\\\"step\\\\\\": 3, \\\\\\"loss\\\\\\": {repeat}.5}\\"; if [ {repeat} = 1 ]; then while [ ! -f go ]; do sleep 0.05; done; fi"]\nrepeat: 2\n');
  const r = run(['run', 'e.experiment.yaml', '--detach', '--store', '.expctl'], { cwd: ws });
  assert.equal(r.code, 0, r.err);
  await waitFor(() => {
    const s = JSON.parse(run(['status', '--json', '--store', '.expctl'], { cwd: ws }).out).sweeps[0];
    return s?.counts.succeeded === 1 && s.running[0]?.latest ? s : undefined;
  }, 'one trial done and one reporting');
  const plain = run(['status', '--store', '.expctl'], { cwd: ws });
  assert.equal(plain.code, 0, plain.err);
  assert.match(plain.out, /^e  e-\S+  local  runner \d+ running$/m);
  assert.match(plain.out, /^ {2}█{10}░{10} 1\/2  ✓ 1  ✗ 0  ▶ 1$/m);
  assert.match(plain.out, /^ {2}best loss \(minimize\): 0\.5 — e-0-r0 /m);
  assert.match(plain.out, /^ {2}▶ e-0-r1  \S+  attempt 1  loss 1\.5 @ step 3  e-0-r1-/m);
  assert.doesNotMatch(plain.out, /\x1b\[/, 'no colours when not on a terminal');
  // --watch: the go-ahead is given once its first block is out; it must then end by itself.
  const { spawn } = await import('node:child_process');
  const watcher = spawn(process.execPath, [CLI, 'status', '--watch', '--interval', '0.1', '--store', '.expctl'], { cwd: ws });
  let out = '';
  watcher.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('▶ 1')) fs.writeFileSync(path.join(ws, 'go'), '');
  });
  const code = await new Promise((res) => watcher.on('exit', res));
  assert.equal(code, 0);
  assert.match(out.slice(out.lastIndexOf('e  e-')), /^e  e-\S+  local  no runner\n {2}█{20} 2\/2  ✓ 2  ✗ 0  ▶ 0\n {2}best loss \(minimize\): 0\.5/);
  const unknown = run(['status', 'nope', '--store', '.expctl'], { cwd: ws });
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no sweep "nope" in \.expctl/);
});

test('run --gpus: the given GPUs are scheduled, each run gets its own through CUDA_VISIBLE_DEVICES', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-gpus-'));
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\ncommand: [sh, -c, "echo gpu=$CUDA_VISIBLE_DEVICES"]\nresources: { gpus: 1 }\n');
  const r = run(['run', 'e.experiment.yaml', '--gpus', '3', '--store', '.expctl'], { cwd: ws });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /max_parallel 1, GPUs 3 /);
  const [rec] = JSON.parse(run(['ls', '--json', '--store', '.expctl'], { cwd: ws }).out).runs;
  assert.deepEqual(rec.gpus, [3]);
  assert.equal(run(['logs', rec.id, '--store', '.expctl'], { cwd: ws }).out, 'gpu=3\n');
  const bad = run(['run', 'e.experiment.yaml', '--gpus', 'all', '--store', '.expctl'], { cwd: ws });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--gpus takes GPU indices like 0,1 or "none", got "all"/);
});

test('run --targets FILE: a targets.yaml from elsewhere; one with errors is refused with its lines', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-targets-'));
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\ncommand: [sh, -c, "echo gpu=$CUDA_VISIBLE_DEVICES"]\nresources: { gpus: 1 }\n');
  fs.mkdirSync(path.join(ws, 'conf'));
  fs.writeFileSync(path.join(ws, 'conf', 'targets.yaml'), 'targets:\n  box: { type: local, gpus: [5] }\n');
  const r = run(['run', 'e.experiment.yaml', '--targets', 'conf/targets.yaml', '--target', 'box', '--store', '.expctl'], { cwd: ws });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /1 trial on box, max_parallel 1, GPUs 5 /);
  fs.writeFileSync(path.join(ws, 'conf', 'targets.yaml'), 'targets:\n  box: { type: locl }\n');
  const bad = run(['run', 'e.experiment.yaml', '--targets', 'conf/targets.yaml', '--store', '.expctl'], { cwd: ws });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^(expctl: )?conf\/targets\.yaml:2:\d+: error: .*locl/m);
});

test('run: a retry line says what on_failure changed for the next attempt (env variables by name only)', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-retry-'));
  fs.writeFileSync(path.join(ws, 'oom.sh'), '#!/bin/sh\n[ "$1" -gt 32 ] && { echo "CUDA out of memory" >&2; exit 1; }\nexit 0\n', { mode: 0o755 });
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\ncommand: [./oom.sh, "{params.batch_size}"]\nparams: { batch_size: 64 }\n'
    + 'retry: { max_retries: 2, backoff_base_s: 2, backoff_initial_s: 0.01, on: [oom] }\n'
    + 'on_failure:\n  oom: { scale: { params.batch_size: 0.5 }, env: { SECRETISH: "s3cr3t" } }\n');
  const r = run(['run', 'e.experiment.yaml', '--store', '.expctl'], { cwd: ws });
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /↻ e-0: oom — retry in 0\.0 s \(attempt 2, params\.batch_size → 32, env SECRETISH\)/);
  assert.doesNotMatch(r.out, /s3cr3t/);
});

test('--json of plan, ls, status and cancel: one versioned object each (core/src/contract.ts), as the extension reads them', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-json-'));
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\ncommand: [sh, -c, "if [ {repeat} = 1 ]; then sleep 60; fi"]\nrepeat: 2\n');
  const plan = JSON.parse(run(['plan', 'e.experiment.yaml', '--json'], { cwd: ws }).out) as PlanResult;
  assert.deepEqual({ ...plan, trials: plan.trials.map((t) => t.name) },
    { version: 1, file: path.join(fs.realpathSync(ws), 'e.experiment.yaml'), kind: 'experiment', name: 'e', method: 'experiment', max_parallel: 1, sweep_id: plan.sweep_id, total: 2, excluded: 0, trials: ['e-0-r0', 'e-0-r1'] });
  const started = JSON.parse(run(['run', 'e.experiment.yaml', '--detach', '--json', '--store', '.expctl'], { cwd: ws }).out) as DetachResult;
  assert.equal(started.status, 'started');
  const status = await waitFor(() => {
    const s = JSON.parse(run(['status', '--json', '--store', '.expctl'], { cwd: ws }).out) as StatusResult;
    return s.sweeps[0]?.counts.running === 1 && s.sweeps[0].counts.succeeded === 1 ? s : undefined;
  }, 'one trial done, one running');
  assert.equal(status.version, 1);
  assert.equal(status.store, path.join(fs.realpathSync(ws), '.expctl'));
  assert.equal(status.sweeps[0].id, started.sweep_id);
  // A damaged run.json is listed apart, not among the runs.
  fs.mkdirSync(path.join(ws, '.expctl', 'runs', 'broken'));
  fs.writeFileSync(path.join(ws, '.expctl', 'runs', 'broken', 'run.json'), '{"id": "broken"');
  const ls = JSON.parse(run(['ls', '--json', '--store', '.expctl'], { cwd: ws }).out) as LsResult;
  assert.equal(ls.version, 1);
  assert.deepEqual(ls.runs.map((r) => [r.trial.name, r.status]), [['e-0-r0', 'succeeded'], ['e-0-r1', 'running']]);
  assert.deepEqual(ls.damaged.map((d) => path.basename(path.dirname(d.file))), ['broken']);
  const running = ls.runs[1].id;
  const cancel = run(['cancel', started.sweep_id, '--json', '--store', '.expctl'], { cwd: ws });
  assert.equal(cancel.code, 0, cancel.err);
  assert.deepEqual(JSON.parse(cancel.out) as CancelResult, { version: 1, id: started.sweep_id, kind: 'sweep', cancelled: [running] });
  await waitFor(() => (JSON.parse(run(['ls', '--json', '--store', '.expctl'], { cwd: ws }).out) as LsResult).runs[1].status === 'cancelled' || undefined, 'the run cancelled');
  const again = JSON.parse(run(['cancel', running.slice(0, 8), '--json', '--store', '.expctl'], { cwd: ws }).out) as CancelResult;
  assert.deepEqual(again, { version: 1, id: running, kind: 'run', cancelled: [] }, 'a prefix names the run; nothing left to stop');
  fs.rmSync(ws, { recursive: true, force: true });
});

test('status --watch --json prints one versioned object per change and ends with the runs', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cli-watch-json-'));
  fs.writeFileSync(path.join(ws, 'e.experiment.yaml'), 'name: e\ncommand: [sh, -c, "while [ ! -f go ]; do sleep 0.05; done"]\n');
  const started = JSON.parse(run(['run', 'e.experiment.yaml', '--detach', '--json', '--store', '.expctl'], { cwd: ws }).out) as DetachResult;
  await waitFor(() => (JSON.parse(run(['status', '--json', '--store', '.expctl'], { cwd: ws }).out) as StatusResult).sweeps[0]?.counts.running === 1 || undefined, 'running');
  const { spawn } = await import('node:child_process');
  const watcher = spawn(process.execPath, [CLI, 'status', '--watch', '--json', '--interval', '0.1', '--store', '.expctl'], { cwd: ws });
  let out = '';
  watcher.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('"running": 1')) fs.writeFileSync(path.join(ws, 'go'), '');
  });
  assert.equal(await new Promise((res) => watcher.on('exit', res)), 0);
  // Pretty-printed objects, one after another: split where one ends and the next begins.
  const objects = out.trim().split(/\n(?=\{)/).map((t) => JSON.parse(t) as StatusResult);
  assert.ok(objects.length >= 2, out);
  for (const o of objects) assert.equal(o.version, 1);
  assert.equal(objects[0].sweeps[0].counts.running, 1);
  assert.deepEqual(objects.at(-1)!.sweeps.map((s) => [s.id, s.counts.succeeded, s.counts.running]), [[started.sweep_id, 1, 0]]);
  fs.rmSync(ws, { recursive: true, force: true });
});

test('--json failures answer in JSON too (ErrorResult), with the whole message; an answer already printed is not followed by one', () => {
  const bad = run(['plan', 'bad.experiment.yaml', '--json'], { cwd: dir });
  assert.equal(bad.code, 1);
  const e = JSON.parse(bad.out) as ErrorResult;
  assert.deepEqual({ ...e, message: e.message.split('\n').at(-1) }, { version: 1, status: 'error', exit_code: 1, message: 'bad.experiment.yaml: cannot plan, 2 errors (see above).' });
  assert.match(e.message, /^bad\.experiment\.yaml:3:9: error: .*\[schema\]$/m, 'its diagnostics, one per line, as on stderr');
  const usage = run(['ls', 'extra', '--json'], { cwd: dir });
  assert.equal(usage.code, 2);
  assert.deepEqual(JSON.parse(usage.out), { version: 1, status: 'error', exit_code: 2, message: 'ls takes no file; filter with --sweep ID or --status S' });
  const v = run(['validate', 'bad.experiment.yaml', '--json'], { cwd: dir });
  assert.equal(v.code, 1);
  assert.equal((JSON.parse(v.out) as { errors: number }).errors, 2, 'one JSON document: the answer');
});
