// Hostile trial output and impossible launches (issue 17 items 3, 5, 6), with real processes
// through the bundled CLI (dist/cli.js; `node esbuild.mjs` first) and the spawner helpers:
// metric names that are Object's own (`__proto__`, `constructor`, `toString`) add no phantom
// columns and bad names are counted; a NUL byte or an over-long argument is a validation error and,
// rendered from params, one spawn_error that is not retried (the helper survives it); tqdm-style
// `\r` progress is parsed line by line with the runner's memory flat; a full disk (item 7, a real
// 1 MB tmpfs) ends the runner with one message, leaves no temp file, and a resume finishes the sweep.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Spawner } from '../../core/src/targets/spawner';
import type { RunRecord } from '../../core/src/store/store';

const CLI = path.resolve('dist/cli.js');
// Writes the runner's peak RSS (VmHWM, kB) to $EXPCTL_TEST_HWM as it exits.
const HWM = `process.on('exit', () => { const m = /VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8')); require('fs').writeFileSync(process.env.EXPCTL_TEST_HWM, m[1]); });\n`;

function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  // A runner that loops (the old behaviour on a NUL byte) is stopped, and fails the test.
  const r = spawnSync(process.execPath, [...(env.EXPCTL_TEST_HWM ? ['--require', path.join(cwd, 'hwm.cjs')] : []), CLI, ...args],
    { encoding: 'utf8', cwd, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
  assert.equal(r.signal, null, `expctl ${args.join(' ')} did not end: ${r.stdout}${r.stderr}`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-hostile-runner-'));
  fs.writeFileSync(path.join(dir, 'hwm.cjs'), HWM);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const runs = (dir: string): RunRecord[] => fs.readdirSync(path.join(dir, '.expctl', 'runs')).filter((id) => !id.startsWith('.'))
  .map((id) => JSON.parse(fs.readFileSync(path.join(dir, '.expctl', 'runs', id, 'run.json'), 'utf8')) as RunRecord)
  .sort((a, b) => a.created.localeCompare(b.created));

test('metric names from trial output: Object\'s own names are plain metrics, no phantom columns; bad names are counted, not dropped', () => {
  const proto = String.raw`import json
print('@expctl {"__proto__": 7, "constructor": 3, "toString": 1, "loss": 0.5}')
print('@expctl {"__proto__": {"count": 2}, "hasOwnProperty": 4}')
print('@expctl {"": 1}')
print('@expctl {"a\\tb": 1}')
print('@expctl {"eval": {"": 2}}')
print("@expctl " + json.dumps({"x" * 201: 1}))
`;
  const dir = workspace({
    'proto.py': proto,
    'proto.experiment.yaml': 'name: proto\ncommand: [python3, proto.py]\n',
    'plain.experiment.yaml': 'name: plain\ncommand: [python3, -c, \'print("@expctl {\\"loss\\": 0.25}")\']\n',
  });
  assert.equal(cli(dir, ['run', 'proto.experiment.yaml']).code, 0);
  assert.equal(cli(dir, ['run', 'plain.experiment.yaml']).code, 0);
  const [withNames, plain] = runs(dir);
  assert.deepEqual(Object.keys(withNames.summary).sort(), ['__proto__', '__proto__.count', 'constructor', 'hasOwnProperty', 'loss', 'toString']);
  assert.equal(Object.getPrototypeOf(withNames.summary), Object.prototype);
  assert.equal(withNames.summary.__proto__.last, 7, 'an own property, not the prototype');
  // The four bad names: counted, the first one located, with why.
  assert.equal(withNames.metrics_bad_lines, 4);
  assert.equal(withNames.metrics_first_bad?.line, 3);
  assert.match(withNames.metrics_first_bad!.error, /^metric name "" is empty; the line was not recorded$/);

  const [header, ...rows] = fs.readFileSync(path.join(dir, '.expctl', 'runs.csv'), 'utf8').trimEnd().split('\n');
  const columns = header.split(',');
  const metricColumns = columns.slice(columns.indexOf('gpus') + 1);
  assert.deepEqual(metricColumns, ['__proto__', '__proto__.count', 'constructor', 'hasOwnProperty', 'loss', 'toString']
    .flatMap((m) => [`${m}.last`, `${m}.min`, `${m}.max`, `${m}.mean`]), 'no count/last/mean columns of their own');
  const cells = (row: string) => Object.fromEntries(row.split(',').map((c, i) => [columns[i], c]));
  const plainRow = cells(rows.find((r) => r.startsWith(plain.id))!);
  assert.equal(plainRow['loss.last'], '0.25');
  for (const m of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    assert.equal(plainRow[`${m}.last`], '', `a run without ${m} has an empty cell, not Object's ${m}`);
  }
  assert.equal(cells(rows.find((r) => r.startsWith(withNames.id))!)['constructor.mean'], '3');
});

test('a NUL byte or an over-long argument written in the file: a validation error naming the field and position', () => {
  const big = 'x'.repeat(131072);
  const dir = workspace({
    'nul.experiment.yaml': 'name: nul\ncommand: [echo, ok, "a\\0b"]\nenv: { GOOD: "1", BAD: "x\\0" }\n',
    'big.experiment.yaml': `name: big\ncommand: [echo, "${big}"]\n`,
  });
  const r = cli(dir, ['validate', 'nul.experiment.yaml', 'big.experiment.yaml']);
  assert.equal(r.code, 1, r.out + r.err);
  const text = r.out + r.err;
  assert.match(text, /nul\.experiment\.yaml:2:\d+: error: command item 3 contains a NUL byte \(\\0\) at character 2, which no program can receive: remove it \[launch-limits\]/);
  assert.match(text, /nul\.experiment\.yaml:3:\d+: error: env\.BAD contains a NUL byte .* \[launch-limits\]/);
  assert.match(text, /big\.experiment\.yaml:2:\d+: error: command item 2 is 131073 bytes, over the kernel's limit of 131072 bytes .* \[launch-limits\]/);
  assert.doesNotMatch(text, /GOOD/);
  assert.equal(cli(dir, ['run', 'nul.experiment.yaml']).code, 1, 'run refuses it too');
});

test('a NUL byte or an over-long argument rendered from params: one spawn_error, not retried, the sweep goes on', () => {
  const dir = workspace({
    'arg.experiment.yaml': 'name: arg\ncommand: [echo, "{params.value}"]\nparams: { value: ok }\nretry: { max_retries: 3, backoff_initial_s: 0 }\n',
    'arg.sweep.yaml': `name: args\nexperiment: arg.experiment.yaml\nmethod: grid\nparameters:\n  params.value: { values: ["a\\0b", "${'y'.repeat(140_000)}", fine] }\n`,
  });
  const r = cli(dir, ['run', 'arg.sweep.yaml']);
  assert.equal(r.code, 1, r.out + r.err);
  const byValue = new Map(runs(dir).map((x) => [String(x.params['params.value']).slice(0, 3), x]));
  const nul = byValue.get('a\0b')!;
  const big = byValue.get('yyy')!;
  for (const run of [nul, big]) {
    assert.equal(run.status, 'failed');
    assert.equal(run.attempts.length, 1, 'a spawn error is not retried');
    assert.equal(run.attempts[0].failure_class, 'spawn_error');
  }
  assert.match(nul.attempts[0].message!, /^cannot start "echo": command argument 2 contains a NUL byte \(\\0\) at character 2/);
  assert.match(big.attempts[0].message!, /^cannot start "echo": command argument 2 is 140001 bytes, over the kernel's limit of 131072 bytes/);
  assert.match(fs.readFileSync(path.join(dir, '.expctl', 'runs', nul.id, 'stderr.log'), 'utf8'), /^expctl: echo: cannot start: command argument 2 contains a NUL byte/m);
  assert.equal(byValue.get('fin')!.status, 'succeeded');
});

test('the spawner helper refuses a NUL byte or an over-long argument list for that attempt only, and keeps serving', async () => {
  const s = new Spawner(undefined, 1); // one helper: the attempt after the refusals must be served by it
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-hostile-spawn-'));
  const start = (name: string, argv: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }) => {
    const f = (x: string) => path.join(dir, `${name}.${x}`);
    return { ...s.spawn({ argv, cwd: dir, env, stdoutFile: f('out'), stderrFile: f('err'), status: f('status') }), f };
  };
  const nulArg = start('nul-arg', ['echo', 'a\0b']);
  const nulEnv = start('nul-env', ['echo', 'ok'], { PATH: process.env.PATH, X: 'a\0' });
  // Each argument under the per-argument limit, all together over ARG_MAX: only exec can tell.
  const tooMany = start('e2big', ['echo', ...Array.from({ length: 64 }, () => 'z'.repeat(100_000))]);
  const after = start('after', ['echo', 'served']);
  for (const [r, code] of [[nulArg, 'ERR_INVALID_ARG_VALUE'], [nulEnv, 'ERR_INVALID_ARG_VALUE'], [tooMany, 'E2BIG']] as const) {
    const e = await r.exit;
    assert.equal(e.error?.code, code);
    assert.equal(await r.pid, undefined);
    assert.equal(fs.readFileSync(r.f('status'), 'utf8'), 'exit 126\n', 'recorded for a runner that resumes');
    assert.match(fs.readFileSync(r.f('err'), 'utf8'), new RegExp(`^expctl: echo: cannot start \\(${code}\\): `));
  }
  assert.deepEqual(await after.exit, { code: 0, signal: null, error: undefined });
  assert.equal(fs.readFileSync(after.f('out'), 'utf8'), 'served\n');
});

// ~20 MB of tqdm-style progress redrawn with \r and no newline, on stdout and stderr, then a metric
// line after a \r; `n` bars of progress each.
const PROGRESS = String.raw`import sys
n = int(sys.argv[1])
for stream in (sys.stdout, sys.stderr):
    bar = "".join("\r%3d%%|" % (i % 100) + "#" * 90 + "| %d/%d [00:01<00:02, 12.34it/s]" % (i, n) for i in range(1000))
    for _ in range(n // 1000):
        stream.write(bar)
    stream.flush()
sys.stdout.write('\r@expctl {"loss": 0.5}\r{"not": "a metric"}\r\n@expctl {"acc": 0.9}')
`;

test('tqdm-style \\r progress: parsed line by line, a metric after \\r is read, the runner\'s memory stays flat', () => {
  const dir = workspace({
    'progress.py': PROGRESS,
    'progress.experiment.yaml': 'name: progress\ncommand: [python3, progress.py, "{params.n}"]\nparams: { n: 160000 }\n',
    'quiet.experiment.yaml': 'name: quiet\ncommand: [python3, progress.py, "0"]\n',
  });
  const hwm = (name: string) => {
    const file = path.join(dir, `${name}.hwm`);
    const r = cli(dir, ['run', `${name}.experiment.yaml`], { EXPCTL_TEST_HWM: file });
    assert.equal(r.code, 0, r.out + r.err);
    return Number(fs.readFileSync(file, 'utf8')) * 1024;
  };
  const quiet = hwm('quiet');
  const loud = hwm('progress');
  const [, run] = runs(dir);
  assert.ok(fs.statSync(path.join(dir, '.expctl', 'runs', run.id, 'stdout.log')).size > 20e6, 'the trial printed ~20 MB');
  assert.ok(loud - quiet < 40e6, `peak RSS ${(loud / 1e6).toFixed(0)} MB with 40 MB of progress vs ${(quiet / 1e6).toFixed(0)} MB without`);
  assert.deepEqual({ loss: run.summary.loss?.last, acc: run.summary.acc?.last }, { loss: 0.5, acc: 0.9 });
  assert.equal(run.metrics_bad_lines, 0);
  fs.rmSync(dir, { recursive: true, force: true }); // 40 MB of logs
});

test('a metric line longer than 64 KiB: its start is read, the rest dropped, and it is counted as unreadable, saying why', () => {
  const dir = workspace({
    'long.experiment.yaml': 'name: long\ncommand: [python3, -c, \'import json; print("@expctl " + json.dumps({"v": [1] * 40000})); print("@expctl {\\"ok\\": 1}")\']\n',
  });
  assert.equal(cli(dir, ['run', 'long.experiment.yaml']).code, 0);
  const [run] = runs(dir);
  assert.equal(run.summary.ok?.last, 1);
  assert.equal(run.metrics_bad_lines, 1);
  assert.equal(run.metrics_first_bad?.line, 1);
  assert.match(run.metrics_first_bad!.error, /^longer than the 64 KiB line limit, so only its start was read \(not JSON: .*\); report fewer values per line$/);
});

test('item 7: a full disk ends the runner with one message naming the file, nothing half-written, and a resume finishes the sweep', (t) => {
  assert.equal(process.getuid?.(), 0, 'this test mounts a 1 MB tmpfs as the store\'s disk: run it as root (CI does)');
  const dir = workspace({});
  const disk = path.join(dir, 'disk');
  fs.mkdirSync(disk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk]);
  t.after(() => { execFileSync('umount', ['-l', disk]); });
  // Each trial prints ~2 MB: the first one fills the disk with its stdout.log.
  const experiment = (lines: number) => `name: chatty\nparams: { a: 0 }\ncommand: [python3, chatty.py, "${lines}"]\nretry: { max_retries: 3, on: [nonzero] }\n`;
  fs.writeFileSync(path.join(disk, 'chatty.py'), 'import sys\nfor i in range(int(sys.argv[1])): print("x" * 100, flush=True)\nprint(\'@expctl {"loss": 1}\')\n');
  fs.writeFileSync(path.join(disk, 'e.experiment.yaml'), experiment(20_000));
  fs.writeFileSync(path.join(disk, 'g.sweep.yaml'), 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.a: { values: [1, 2, 3] }\n');
  const full = cli(disk, ['run', 'g.sweep.yaml']);
  assert.equal(full.code, 1, full.out + full.err);
  const said = full.err.trimEnd().split('\n');
  assert.equal(said.length, 1, full.err);
  assert.match(said[0], new RegExp(`^expctl: disk full: no space left to write ${disk}/\\.expctl/\\S+( \\(.+\\))?; \\d+(\\.\\d)? K?B free on its file system\\. Free space there and run the same command again: a run resumes, keeping the trials that finished\\.$`));
  assert.doesNotMatch(full.out + full.err, /internal error|^\s+at /m);
  const leftovers = execFileSync('find', [path.join(disk, '.expctl'), '-name', '*.tmp*'], { encoding: 'utf8' });
  assert.equal(leftovers, '', 'no temp file or folder left behind');
  for (const r of runs(disk)) assert.notEqual(r.status, 'failed', `${r.id}: the full disk is not the trial's failure`);
  assert.equal(runs(disk)[0].attempts[0].failure_class, 'interrupted', 'not counted against max_retries');
  // Space comes back (the logs are removed) and the trials print less: the same command finishes the sweep.
  for (const r of runs(disk)) fs.rmSync(path.join(disk, '.expctl', 'runs', r.id, 'stdout.log'), { force: true });
  fs.writeFileSync(path.join(disk, 'e.experiment.yaml'), experiment(20));
  const resumed = cli(disk, ['run', 'g.sweep.yaml']);
  assert.equal(resumed.code, 0, resumed.out + resumed.err);
  const after = runs(disk);
  assert.deepEqual(after.map((r) => r.status), ['succeeded', 'succeeded', 'succeeded']);
  assert.equal(after.length, 3, 'the interrupted runs were resumed, not run again beside them');
  const rows = fs.readFileSync(path.join(disk, '.expctl', 'runs.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(rows.length, 4, 'runs.csv: a header and the three runs');
});
