// Issue 17, items 8 and 11: the CLI as users start it (the bundle dist/cli.js, built by
// `node esbuild.mjs`) on inputs that broke it — two runners sharing a store's tables, huge sweeps,
// damaged run.json files, paths that cannot be a store or an output, sweeps of sweeps.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCsv } from '../../core/src/util/csv';

const CLI = path.resolve('dist/cli.js');

const cli = (cwd: string, args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

function run(cwd: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { cwd });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

function workspace(files: Record<string, string>): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-hostile-cli-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(ws, name), text);
  return ws;
}

const EXPERIMENT = 'name: e\ncommand: ["true"]\nparams: { a: 0, b: 0, c: 0 }\n';
/** 1,000 × 1,000 × 1,000 trials. */
const HUGE = 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n' +
  ['a', 'b', 'c'].map((p) => `  params.${p}: { range: { min: 0, max: 999, step: 1 } }\n`).join('');

test('item 8: two runners of different sweeps sharing one --store: runs.csv has every row of both when they end', { timeout: 180_000 }, async () => {
  const trials = 120;
  const sweep = (name: string) => `name: ${name}\nexperiment: ./e.experiment.yaml\nmethod: grid\nmax_parallel: 4\nparameters:\n  params.a: { range: { min: 1, max: ${trials}, step: 1 } }\n`;
  const ws = workspace({ 'e.experiment.yaml': EXPERIMENT, 'a.sweep.yaml': sweep('a'), 'b.sweep.yaml': sweep('b') });
  // The race is one of timing (a runner loading the store or writing its tables while the other's
  // runs end): a few rounds, each into a new store, make it show.
  for (const store of ['s1', 's2', 's3']) {
    const results = await Promise.all([run(ws, ['a.sweep.yaml', '--store', store]), run(ws, ['b.sweep.yaml', '--store', store])]);
    for (const r of results) assert.equal(r.code, 0, r.out + r.err);
    const ids = fs.readdirSync(path.join(ws, store, 'runs')).filter((id) => !id.startsWith('.'));
    assert.equal(ids.length, 2 * trials);
    const csv = parseCsv(fs.readFileSync(path.join(ws, store, 'runs.csv'), 'utf8'));
    const col = (name: string) => csv.header.indexOf(name);
    assert.deepEqual(csv.rows.map((r) => r.cells[col('run_id')]).sort(), ids.sort(), 'runs.csv has a row for every run of both sweeps');
    assert.deepEqual(csv.rows.filter((r) => r.cells[col('status')] !== 'succeeded').map((r) => r.cells.slice(0, 8).join(',')), [], 'each with its final state');
    assert.equal(fs.existsSync(path.join(ws, store, 'tables.lock')), false, 'the tables lock is released');
  }
});

test('item 11: plan --limit and run --dry-run on a 10^9-trial grid answer at once, without expanding it', { timeout: 60_000 }, () => {
  const ws = workspace({ 'e.experiment.yaml': EXPERIMENT, 'huge.sweep.yaml': HUGE });
  const plan = cli(ws, ['plan', 'huge.sweep.yaml', '--limit', '3']);
  assert.equal(plan.code, 0, plan.err);
  assert.match(plan.out, /^huge\.sweep\.yaml: 1000000000 trials \(method grid/);
  assert.equal(plan.out.trim().split('\n').length, 6, 'header, column names, 3 trials, the "more" line');
  assert.match(plan.out, /… 999999997 more \(use --limit to change\)\n$/);
  const json = JSON.parse(cli(ws, ['plan', 'huge.sweep.yaml', '--limit', '2', '--json']).out) as { total: number; trials: unknown[] };
  assert.equal(json.total, 1e9);
  assert.equal(json.trials.length, 2);
  const dry = cli(ws, ['run', 'huge.sweep.yaml', '--dry-run']);
  assert.equal(dry.code, 1, dry.out + dry.err);
  assert.equal(dry.out, '');
  assert.equal(dry.err, 'expctl: huge.sweep.yaml: 1,000,000,000 trials, more than --dry-run lists (100,000); `expctl plan huge.sweep.yaml --limit 20` shows the first ones\n');
  // Without --limit, plan refuses as --dry-run does (it expanded every trial and ran out of memory).
  const all = cli(ws, ['plan', 'huge.sweep.yaml']);
  assert.equal(all.code, 1, all.out + all.err);
  assert.equal(all.err, 'expctl: huge.sweep.yaml: 1,000,000,000 trials, more than plan lists without --limit (100,000); `expctl plan huge.sweep.yaml --limit 20` shows the first ones\n');
  const run = cli(ws, ['run', 'huge.sweep.yaml']);
  assert.equal(run.code, 1, run.out + run.err);
  assert.equal(run.err, 'expctl: huge.sweep.yaml: 1,000,000,000 trials, more than one sweep runs (100,000); split it into several sweep files (e.g. one per value of a parameter) or sample it with method: random; nothing was started\n');
  assert.equal(fs.existsSync(path.join(ws, '.expctl', 'runs')), false, 'nothing started');
});

test('item 11: a 10^9-trial grid with exclude rules and a name_template: exact total, names checked among the trials listed, at once', { timeout: 60_000 }, () => {
  const ws = workspace({ 'e.experiment.yaml': EXPERIMENT,
    'huge.sweep.yaml': `${HUGE}exclude:\n  - { params.a: 1 }\n  - { params.b: [1, 2] }\nname_template: "t-{params.a}-{params.b}-{params.c}"\n` });
  const plan = cli(ws, ['plan', 'huge.sweep.yaml', '--limit', '2']);
  assert.equal(plan.code, 0, plan.err);
  assert.match(plan.out, /^huge\.sweep\.yaml: 997002000 trials \(method grid, 2998000 excluded, max_parallel 1\)\n/);
  assert.match(plan.out, /\n1 +t-0-0-1 /);
  fs.writeFileSync(path.join(ws, 'huge.sweep.yaml'), fs.readFileSync(path.join(ws, 'huge.sweep.yaml'), 'utf8').replace('-{params.c}', ''));
  const dup = cli(ws, ['plan', 'huge.sweep.yaml', '--limit', '5']);
  assert.equal(dup.code, 1, dup.out);
  assert.match(dup.err, /^huge\.sweep\.yaml:\d+:\d+: error: Trials 0 and 1 are both named "t-0-0" \(4 collisions in the first 5 trials\); add \{params\.c\} to name_template \[duplicate-trial-name\]\n/);
});

test('item 11: report on epoch-millisecond times and on a stray far-future date; compare on 126,000 runs', { timeout: 120_000 }, () => {
  const ws = workspace({});
  const csv = parseCsv(fs.readFileSync(path.resolve('examples/campaign-report/job_summary.csv'), 'utf8'));
  const col = (name: string) => csv.header.indexOf(name);
  const write = (file: string, edit: (cells: string[], i: number) => void) => {
    const rows = csv.rows.map((r, i) => { const cells = [...r.cells]; edit(cells, i); return cells.join(','); });
    fs.writeFileSync(path.join(ws, file), `${csv.header.join(',')}\n${rows.join('\n')}\n`);
  };
  const times = ['Submit Time', 'Start Time', 'End Time'].map(col);
  write('ms.csv', (c) => { for (const i of times) if (c[i]) c[i] = String(Date.parse(`${c[i]}Z`)); });
  write('far.csv', (c, i) => { if (i === 5) c[col('Start Time')] = '9000-01-01T00:00:00'; });
  const iso = cli(ws, ['report', path.resolve('examples/campaign-report/job_summary.csv'), '--json']);
  const ms = cli(ws, ['report', 'ms.csv', '--json']);
  assert.equal(ms.code, 0, ms.err);
  const period = (r: { out: string }) => (JSON.parse(r.out) as { figures?: { period: unknown }; period?: unknown }).figures?.period ?? (JSON.parse(r.out) as { period: unknown }).period;
  assert.deepEqual(period(ms), period(iso), 'epoch ms read as ms, not as seconds (the year 57139)');
  const t0 = Date.now();
  const far = cli(ws, ['report', 'far.csv', '--out', 'far-report']);
  assert.equal(far.code, 0, far.err);
  assert.ok(Date.now() - t0 < 30_000, `a stray date in the year 9000 took ${Date.now() - t0} ms (it filled 2.6 million days, 111 s, then aborted)`);
  assert.ok(fs.existsSync(path.join(ws, 'far-report', 'epochs-per-day.png')));
  // Spreading 126,000 spans into Math.min overflowed the stack (exit 70).
  const big = Array.from({ length: 126_000 }, (_, i) => `a${i},succeeded,2025-01-01T00:00:00Z,2025-01-01T00:01:00Z,${10 + (i % 7) / 10}`);
  fs.writeFileSync(path.join(ws, 'big.csv'), `run,status,started,ended,value\n${big.join('\n')}\n`);
  fs.writeFileSync(path.join(ws, 'small.csv'), `run,status,started,ended,value\n${['b0', 'b1', 'b2'].map((r) => `${r},succeeded,2025-01-01T00:00:00Z,2025-01-01T00:02:00Z,12`).join('\n')}\n`);
  const cmp = cli(ws, ['compare', 'big.csv', 'small.csv', '--metric', 'value', '--json']);
  assert.equal(cmp.code, 0, cmp.err);
  const rows = (JSON.parse(cmp.out) as { rows: Array<{ key: string; n: number }> }).rows;
  assert.deepEqual(rows.map((r) => [r.key, r.n]), [['big', 126_000], ['small', 3]]);
});

test('item 11: validate rejects a sweep whose experiment: is a sweep, or an empty file, naming which', { timeout: 60_000 }, () => {
  const sweepOf = (file: string) => `experiment: ${file}\nmethod: grid\nparameters:\n  params.a: { values: [1] }\n`;
  const ws = workspace({ 'e.experiment.yaml': EXPERIMENT, 'inner.sweep.yaml': sweepOf('./e.experiment.yaml'), 'outer.sweep.yaml': sweepOf('./inner.sweep.yaml'),
    'empty.experiment.yaml': '# nothing yet\n\n', 'of-empty.sweep.yaml': sweepOf('./empty.experiment.yaml') });
  const nested = cli(ws, ['validate', 'outer.sweep.yaml']);
  assert.equal(nested.code, 1, nested.out + nested.err);
  assert.equal(nested.out.split('\n')[0] + '\n', 'outer.sweep.yaml:1:13: error: "./inner.sweep.yaml" is a sweep, not an experiment: a sweep\'s experiment: names an *.experiment.yaml file (sweeps do not nest; put both sweeps\' parameters in one) [experiment-invalid]\n');
  const empty = cli(ws, ['validate', 'of-empty.sweep.yaml']);
  assert.equal(empty.code, 1, empty.out + empty.err);
  assert.equal(empty.out.split('\n')[0] + '\n', 'of-empty.sweep.yaml:1:13: error: "./empty.experiment.yaml" is empty: write the experiment there (at least `command:`), or name another file [experiment-invalid]\n');
  assert.equal(cli(ws, ['run', 'outer.sweep.yaml']).code, 1, 'nothing runs');
  // The empty experiment file itself; `plan` and `run` say why, not "see above" with nothing above.
  const emptyLine = 'empty.experiment.yaml:1:1: error: the file is empty: an experiment needs at least `command:` [file-empty]\n';
  const direct = cli(ws, ['validate', 'empty.experiment.yaml']);
  assert.equal(direct.code, 1);
  assert.equal(direct.out, emptyLine);
  for (const verb of ['plan', 'run']) {
    const r = cli(ws, [verb, 'empty.experiment.yaml']);
    assert.equal(r.code, 1, r.out);
    assert.equal(r.err, `${emptyLine}empty.experiment.yaml: cannot ${verb}, 1 error (see above).\n`);
  }
  assert.equal(cli(ws, ['validate', 'inner.sweep.yaml']).code, 0, 'a sweep of an experiment is fine');
});

test('item 11: ls and status leave out a run.json with missing fields, and name it and what is missing', { timeout: 60_000 }, () => {
  const ws = workspace({ 'e.experiment.yaml': EXPERIMENT, 's.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.a: { values: [1, 2, 3] }\n' });
  assert.equal(cli(ws, ['run', 's.sweep.yaml']).code, 0);
  const runs = path.join(ws, '.expctl', 'runs');
  const [a, b, c] = fs.readdirSync(runs).sort();
  const edit = (id: string, f: (r: Record<string, unknown>) => void) => {
    const file = path.join(runs, id, 'run.json');
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    f(r);
    fs.writeFileSync(file, JSON.stringify(r));
  };
  edit(a, (r) => { delete r.trial; });
  edit(b, (r) => { r.attempts = 'none'; });
  const said = `expctl: left out 2 runs whose run.json is damaged (repair or delete them):\n` +
    `  .expctl/runs/${a}/run.json: "trial" is missing\n  .expctl/runs/${b}/run.json: "attempts" is not a list\n`;
  const ls = cli(ws, ['ls']);
  assert.equal(ls.code, 0, ls.err);
  assert.equal(ls.err, said);
  assert.match(ls.out, new RegExp(`^${c} `, 'm'), 'the sound run is listed');
  assert.doesNotMatch(ls.out, new RegExp(`${a}|${b}`));
  const status = cli(ws, ['status']);
  assert.equal(status.code, 0, status.err);
  assert.equal(status.err, said);
  assert.match(status.out, /1\/3 {2}✓ 1/);
});

test('item 11: a --store, --chart or --out that cannot be written is one line and exit 1 — under /proc, or a file where a folder is needed', { timeout: 60_000 }, () => {
  const ws = workspace({ 'e.experiment.yaml': EXPERIMENT, 'a-file': '' });
  fs.mkdirSync(path.join(ws, 'a-folder.png'));
  const FIX = path.resolve('test/fixtures');
  const cases: Array<[string[], string]> = [
    [['run', 'e.experiment.yaml', '--store', '/proc/expctl-store'], 'expctl: --store /proc/expctl-store: cannot be created there (the file system has no such place, e.g. under /proc)\n'],
    [['run', 'e.experiment.yaml', '--store', 'a-file'], `expctl: --store ${ws}/a-file: a file is in the way where a folder is needed\n`],
    [['run', 'e.experiment.yaml', '--store', 'a-file/store'], `expctl: --store ${ws}/a-file/store: a file is in the way where a folder is needed\n`],
    [['ls', '--store', 'a-file'], `expctl: ${ws}/a-file is a file, not a results store (a folder such as .expctl); pass --store DIR\n`],
    [['status', '--store', 'a-file'], `expctl: ${ws}/a-file is a file, not a results store (a folder such as .expctl); pass --store DIR\n`],
    [['report', path.resolve("examples/campaign-report/job_summary.csv"), '--out', '/proc/expctl-report'], 'expctl: --out /proc/expctl-report: cannot be created there (the file system has no such place, e.g. under /proc)\n'],
    [['report', path.resolve("examples/campaign-report/job_summary.csv"), '--out', 'a-file'], 'expctl: --out a-file: a file is in the way where a folder is needed\n'],
    [['stats', `${FIX}/analyze/loading.csv`, '--metric', 'load_s', '--group-by', 'format', '--chart', '/proc/expctl/box.png'],
      'expctl: --chart /proc/expctl/box.png: folder /proc/expctl: cannot be created there (the file system has no such place, e.g. under /proc)\n'],
    [['stats', `${FIX}/analyze/loading.csv`, '--metric', 'load_s', '--group-by', 'format', '--chart', 'a-folder.png'], 'expctl: --chart a-folder.png: is a folder; name a file\n'],
  ];
  for (const [args, err] of cases) {
    const r = cli(ws, args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
    // `stats` says first which rows of its CSV it skipped: the error is the last line.
    assert.equal(`${r.err.trimEnd().split('\n').at(-1)}\n`, err, args.join(' '));
    assert.doesNotMatch(r.err, /^\s+at /m, 'no stack trace');
  }
  assert.equal(fs.existsSync(path.join(ws, '.expctl')), false, 'no store made elsewhere');
});

test('a sweep whose experiment has errors does not run: one error on the sweep\'s experiment: line (it ran, and crashed rendering a mapping as an argument)', { timeout: 60_000 }, () => {
  const ws = workspace({
    'e.experiment.yaml': 'name: e\nparams: { a: 0 }\ncommand: [python3, -c, "print(\'{\\\\"x\\\\": 1}\')"]\n',
    'g.sweep.yaml': 'experiment: ./e.experiment.yaml\nmethod: grid\nparameters:\n  params.a: { values: [1, 2] }\n',
  });
  for (const args of [['run', 'g.sweep.yaml'], ['run', 'g.sweep.yaml', '--dry-run'], ['plan', 'g.sweep.yaml']]) {
    const r = cli(ws, args);
    assert.equal(r.code, 1, args.join(' ') + r.out + r.err);
    assert.match(r.err, /^g\.sweep\.yaml:1:13: error: \.\/e\.experiment\.yaml has \d+ errors?; first at 3:\d+: .* \[experiment-invalid\]\n/, args.join(' '));
    assert.doesNotMatch(r.err, /internal error/);
  }
  assert.equal(fs.existsSync(path.join(ws, '.expctl', 'runs')), false, 'nothing started');
});
