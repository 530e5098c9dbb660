// The results store: atomic files, run records, journal, tables.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FileStore, slug } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { appendLine, readJsonLines, writeFileAtomic } from '../../core/src/store/atomic';
import { acquireLock, checkLock, LockedError } from '../../core/src/store/lock';
import type { LockedReason } from '../../core/src/store/lock';
import { parseCsv } from '../../core/src/util/csv';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-store-'));

const record = (id: string, over: Partial<RunRecord> = {}): RunRecord => ({
  schema_version: 1, id, sweep_id: 'grid-1', experiment: 'demo', experiment_file: '/w/demo.experiment.yaml',
  trial: { index: 0, key: 'abcdef0123456789', name: 'lr0.1', repeat: 0 }, params: { 'params.lr': 0.1 }, target: 'local',
  status: 'queued', created: '2026-11-23T10:00:00.000Z', attempts: [], host: 'h', summary: {}, ...over,
});

test('writeFileAtomic replaces the file and leaves no temp files', () => {
  const dir = tmp();
  const f = path.join(dir, 'a.json');
  writeFileAtomic(f, 'one');
  writeFileAtomic(f, 'two');
  assert.equal(fs.readFileSync(f, 'utf8'), 'two');
  assert.deepEqual(fs.readdirSync(dir), ['a.json']);
});

test('readJsonLines skips a torn last line and counts it', () => {
  const f = path.join(tmp(), 'j.jsonl');
  appendLine(f, '{"a":1}');
  fs.appendFileSync(f, '{"a":');
  assert.deepEqual(readJsonLines(f), { items: [{ a: 1 }], bad: 1 });
  assert.deepEqual(readJsonLines(path.join(tmp(), 'none')), { items: [], bad: 0 });
});

test('create, save, reload: run.json, config.yaml, params.json and the journal', async () => {
  const root = tmp();
  const s = new FileStore(root);
  const id = s.newRunId('LR 0.1 / bs=32', 'abcdef0123456789');
  assert.equal(id, 'lr-0.1-bs-32-abcdef01');
  s.create(record(id), 'name: demo\n', { lr: 0.1, bs: 32, model: { depth: 3 } });
  s.save({ ...record(id), status: 'succeeded' }, 'run-ended');
  assert.equal(s.newRunId('LR 0.1 / bs=32', 'abcdef0123456789'), `${id}-2`, 'later runs of a trial get a suffix');
  await s.flush(); // run.json is written in the background
  const again = new FileStore(root);
  assert.equal(again.get(id)?.status, 'succeeded');
  assert.equal(fs.readFileSync(path.join(root, 'runs', id, 'config.yaml'), 'utf8'), 'name: demo\n');
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(root, 'runs', id, 'params.json'), 'utf8')), { lr: 0.1, bs: 32, model: { depth: 3 } },
    'all the params, nested as {params.x} sees them — not only the swept ones');
  assert.deepEqual(again.events().map((e) => [e.event, e.run_id, e.status]), [['run-created', id, 'queued'], ['run-ended', id, 'succeeded']]);
});

test('an unreadable run.json is reported by load, not fatal', () => {
  const root = tmp();
  fs.mkdirSync(path.join(root, 'runs', 'x'), { recursive: true });
  fs.writeFileSync(path.join(root, 'runs', 'x', 'run.json'), '{');
  fs.mkdirSync(path.join(root, 'runs', 'y'), { recursive: true });
  const s = new FileStore(root);
  assert.deepEqual(s.load().bad, [path.join(root, 'runs', 'x', 'run.json')]);
  assert.deepEqual(s.all(), []);
});

test('runs.csv: stable columns, flattened params and metric summaries; failed_runs.csv per failed attempt', async () => {
  const root = tmp();
  const s = new FileStore(root);
  await s.create(record('a', { status: 'succeeded', summary: { loss: { last: 0.2, min: 0.1, max: 1, mean: 0.4, count: 5 } }, params: { 'params.lr': 0.1, 'params.bs': 32 } }), '');
  await s.create(record('b', {
    created: '2026-11-23T10:00:01.000Z', status: 'failed', params: { 'params.lr': 0.01 },
    attempts: [{ n: 1, started: 't1', ended: 't2', exit_code: 1, failure_class: 'exit:1', message: 'exited with code 1, "quoted"' }],
  }), '');
  s.writeTables();
  const runs = fs.readFileSync(path.join(root, 'runs.csv'), 'utf8').trim().split('\n');
  assert.equal(runs[0], 'run_id,sweep_id,experiment,trial_index,trial_name,trial_key,repeat,status,attempts,failure_class,exit_code,started,ended,duration_s,target,host,git_commit,git_dirty,gpus,params.bs,params.lr,loss.last,loss.min,loss.max,loss.mean');
  assert.equal(runs[1], 'a,grid-1,demo,0,lr0.1,abcdef0123456789,0,succeeded,0,,,,,,local,h,,,,32,0.1,0.2,0.1,1,0.4');
  assert.match(runs[2], /^b,.*,failed,1,exit:1,1,/);
  const failed = fs.readFileSync(path.join(root, 'failed_runs.csv'), 'utf8').trim().split('\n');
  assert.equal(failed[0], 'timestamp,run_id,trial_name,attempt,failure_class,message,stderr_tail,config');
  assert.equal(failed[1], 't2,b,lr0.1,1,exit:1,"exited with code 1, ""quoted""",,"{""params.lr"":0.01}"');
});

test('slug', () => {
  assert.equal(slug('Hello World/../x'), 'hello-world-..-x');
  assert.equal(slug('***'), 'run');
  assert.equal(slug('..'), 'run', 'never a path that leaves the runs folder');
  assert.equal(slug('.hidden.'), 'hidden');
});

test('background writes: in order per run, the newest state wins, a failed write surfaces in flush()', async () => {
  const root = tmp();
  const s = new FileStore(root);
  const id = s.newRunId('t', '0123456789abcdef');
  await s.create(record(id), '');
  for (const status of ['running', 'running', 'failed'] as const) s.save({ ...record(id), status }, 'x');
  await s.flush();
  assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'runs', id, 'run.json'), 'utf8')).status, 'failed');
  assert.deepEqual(fs.readdirSync(path.join(root, 'runs', id)).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
  fs.rmSync(path.join(root, 'runs', id), { recursive: true });
  s.save({ ...record(id), status: 'succeeded' }, 'x');
  await assert.rejects(s.flush(), /ENOENT/);
  await s.flush(); // reported once
});

test('tables follow every change: a saved run gets a new row, a new column reaches every row', async () => {
  const root = tmp();
  const s = new FileStore(root);
  const a = s.newRunId('a', '1111111111111111');
  await s.create({ ...record(a), params: { 'params.lr': 0.1 } }, '');
  s.writeTables();
  const rows = () => fs.readFileSync(path.join(root, 'runs.csv'), 'utf8').trim().split('\n');
  assert.match(rows()[1], /,queued,/);
  s.save({ ...record(a), params: { 'params.lr': 0.1 }, status: 'failed', attempts: [{ n: 1, started: 't0', ended: 't1', failure_class: 'exit:1', message: 'boom' }] }, 'x');
  s.writeTables();
  assert.match(rows()[1], /,failed,1,exit:1,/);
  assert.match(fs.readFileSync(path.join(root, 'failed_runs.csv'), 'utf8'), /^t1,.*,exit:1,boom,/m);
  const b = s.newRunId('b', '2222222222222222');
  await s.create({ ...record(b), params: { 'params.lr': 0.2, 'params.bs': 8 } }, '');
  s.writeTables();
  const [head, ...body] = rows();
  const bs = head.split(',').indexOf('params.bs');
  assert.ok(bs > 0);
  assert.deepEqual(body.map((r) => r.split(',').length), [head.split(',').length, head.split(',').length]);
  assert.deepEqual(body.map((r) => r.split(',')[bs]), ['', '8']);
});

/** runs.csv or failed_runs.csv as rows keyed by column name. */
const table = (file: string) => {
  const t = parseCsv(fs.readFileSync(file, 'utf8'));
  return { header: t.header, rows: t.rows.map((r) => Object.fromEntries(t.header.map((h, i) => [h, r.cells[i]]))) };
};

test('failed_runs.csv: the last lines of the attempt\'s stderr in one cell — the error, not only its exit code', () => {
  const root = tmp();
  const s = new FileStore(root);
  const stderr = 'loading data\nstep 1\rstep 2\rstep 3\n\nTraceback (most recent call last):\n  File "train.py", line 9, in <module>\n' +
    'ValueError: learning rate must be positive   \n  \n';
  s.create(record('a', { status: 'failed', attempts: [
    { n: 1, started: 't0', ended: 't1', exit_code: 1, failure_class: 'exit:1', message: 'exited with code 1', stderr_tail: stderr },
    { n: 2, started: 't2', ended: 't3', exit_code: 1, failure_class: 'exit:1', message: 'exited with code 1', stderr_tail: 'one line' },
  ] }), '');
  s.writeTables();
  const { rows } = table(path.join(root, 'failed_runs.csv'));
  assert.equal(rows[0].stderr_tail, 'step 2\nstep 3\nTraceback (most recent call last):\n  File "train.py", line 9, in <module>\nValueError: learning rate must be positive',
    'the last 5 non-blank lines; a progress bar\'s \\r ends a line');
  assert.equal(rows[1].stderr_tail, 'one line');
  assert.equal(rows[0].config, '{"params.lr":0.1}');
});

test('runs.csv: effective.<param> beside the nominal column for params a retry changed, only when some run has them', () => {
  const root = tmp();
  const s = new FileStore(root);
  const nominal = { 'params.bs': 64, 'params.lr': 0.1 };
  s.create(record('a', { params: nominal, status: 'succeeded' }), '');
  s.writeTables();
  assert.deepEqual(table(path.join(root, 'runs.csv')).header.filter((h) => h.startsWith('effective.')), [], 'no retry changed anything: no column');
  // b's batch size was halved after an OOM, and a parameter the sweep does not vary was set: both are columns; lr is as nominal.
  s.create(record('b', { params: nominal, status: 'succeeded', created: '2026-11-23T10:00:01.000Z',
    effective_params: { ...nominal, 'params.bs': 32, 'params.grad_accum': 2 } }), '');
  s.writeTables();
  const { header, rows } = table(path.join(root, 'runs.csv'));
  assert.deepEqual(header.filter((h) => h.startsWith('params.') || h.startsWith('effective.')),
    ['params.bs', 'params.lr', 'effective.params.bs', 'effective.params.grad_accum']);
  assert.deepEqual(rows.map((r) => [r.run_id, r['params.bs'], r['effective.params.bs'], r['effective.params.grad_accum']]),
    [['a', '64', '', ''], ['b', '64', '32', '2']]);
});

test('a run id another process took meanwhile: create() takes the next one instead of failing or overwriting', () => {
  const root = tmp();
  // Two runners (of two sweeps with a trial of the same name) pick the same id before either creates it.
  const a = new FileStore(root);
  const b = new FileStore(root);
  const trial = { index: 0, key: '0123456789abcdef', name: 't', repeat: 0 };
  const id = a.newRunId(trial.name, trial.key);
  assert.equal(b.newRunId(trial.name, trial.key), id);
  const ra = record(id, { trial });
  const rb = record(id, { trial, sweep_id: 'other-sweep' });
  a.create(ra, 'a: 1\n', { from: 'a' });
  b.create(rb, 'b: 1\n', { from: 'b' });
  assert.equal(ra.id, id);
  assert.equal(rb.id, `${id}-2`);
  for (const [r, from] of [[ra, 'a'], [rb, 'b']] as const) {
    const dir = path.join(root, 'runs', r.id);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')), r, 'run.json names its own id');
    assert.equal(fs.readFileSync(path.join(dir, 'config.yaml'), 'utf8'), `${from}: 1\n`);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'params.json'), 'utf8')), { from });
  }
  assert.deepEqual(fs.readdirSync(path.join(root, 'runs')).sort(), [id, `${id}-2`], 'no temporary folder left');
  assert.deepEqual(b.events().map((e) => e.run_id), [id, `${id}-2`]);
});

test('tables include the runs of another runner sharing the store, caught up from the journal', async () => {
  const root = tmp();
  const a = new FileStore(root);
  const b = new FileStore(root);
  a.load();
  b.load(); // both started on an empty store
  a.create(record('a1'), '');
  b.create(record('b1', { sweep_id: 'other', created: '2026-11-23T10:00:01.000Z' }), '');
  const rows = () => table(path.join(root, 'runs.csv')).rows.map((r) => `${r.run_id}:${r.status}`);
  b.writeTables();
  assert.deepEqual(rows(), ['a1:queued', 'b1:queued']);
  // The journal has the final state at once; a1's run.json gets it when the background write lands.
  a.save({ ...record('a1'), status: 'succeeded' }, 'run-ended');
  b.writeTables();
  await a.flush();
  b.writeTables();
  assert.deepEqual(rows(), ['a1:succeeded', 'b1:queued'], 'a run.json behind the journal is read again until it catches up');
  b.save({ ...record('b1', { sweep_id: 'other', created: '2026-11-23T10:00:01.000Z' }), status: 'failed' }, 'run-ended');
  await b.flush();
  a.writeTables(); // the last writer keeps the other's runs
  assert.deepEqual(rows(), ['a1:succeeded', 'b1:failed']);
  // Only the runs the journal names are read again: 10,000 run.json files are not re-read every second.
  fs.writeFileSync(path.join(root, 'runs', 'b1', 'run.json'), JSON.stringify({ ...record('b1'), status: 'cancelled' }));
  a.writeTables();
  assert.deepEqual(rows(), ['a1:succeeded', 'b1:failed']);
});

/** The pid of a process that has ended. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const lockedFor = (reason: LockedReason, message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof LockedError, String(e));
  assert.equal(e.reason, reason);
  assert.match(e.message, message);
  return true;
};

test('runner lock: one holder; another is refused with its pid; released, the sweep is free again', async () => {
  const dir = path.join(tmp(), 'sweeps', 's');
  const file = path.join(dir, 'runner.lock');
  const lock = await acquireLock(file);
  const holder = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(holder.pid, process.pid);
  assert.equal(holder.host, os.hostname());
  await assert.rejects(acquireLock(file), lockedFor('running', new RegExp(`pid ${process.pid} on this host, since ${holder.started}`)));
  assert.throws(() => checkLock(file), lockedFor('running', /another runner is running this sweep/));
  lock.release();
  assert.deepEqual(fs.readdirSync(dir), [], 'released, and no temp file left');
  checkLock(file);
  const again = await acquireLock(file);
  // A lock that is no longer ours (deleted by hand, taken by another runner) is left alone on release.
  fs.writeFileSync(file, JSON.stringify({ pid: 1, host: os.hostname(), started: 'then' }));
  again.release();
  assert.ok(fs.existsSync(file));
});

test('runner lock: a stale one is taken over; one from another host, or unreadable, is refused with how to remove it', async () => {
  const file = path.join(tmp(), 'sweeps', 's', 'runner.lock');
  const write = (h: object | string) => fs.writeFileSync(file, typeof h === 'string' ? h : JSON.stringify(h));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  write({ pid: deadPid(), host: os.hostname(), started: '2026-01-01T00:00:00.000Z' });
  let lock = await acquireLock(file);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).pid, process.pid, 'a dead runner\'s lock is taken over');
  lock.release();
  // A live pid from before a reboot is some other process now.
  write({ pid: process.ppid, host: os.hostname(), started: '2026-01-01T00:00:00.000Z', boot: 'an-earlier-boot' });
  lock = await acquireLock(file);
  lock.release();
  write({ pid: 4242, host: 'gpu-box-7', started: '2026-01-01T00:00:00.000Z' });
  await assert.rejects(acquireLock(file), lockedFor('other-host', new RegExp(`host gpu-box-7 \\(pid 4242, .*cannot be checked from here; if it is no longer running, delete ${file}`)));
  write('not json');
  await assert.rejects(acquireLock(file), lockedFor('unreadable', new RegExp(`${file} is not a runner lock .*delete it`)));
  // A takeover whose runner was killed in those microseconds (kill -9 at a random moment) leaves
  // its token: the next runner clears it and takes the lock.
  write({ pid: deadPid(), host: os.hostname(), started: '2026-01-01T00:00:00.000Z' });
  fs.writeFileSync(`${file}.takeover`, `${JSON.stringify({ pid: deadPid(), host: os.hostname(), started: '2026-01-01T00:00:00.000Z' })}\n`);
  lock = await acquireLock(file);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).pid, process.pid);
  assert.ok(!fs.existsSync(`${file}.takeover`), 'the dead token is gone');
  lock.release();
  // One a live runner holds is waited for, then refused (a takeover takes microseconds).
  write({ pid: deadPid(), host: os.hostname(), started: '2026-01-01T00:00:00.000Z' });
  fs.writeFileSync(`${file}.takeover`, `${JSON.stringify({ pid: process.ppid, host: os.hostname(), started: '2026-01-01T00:00:00.000Z' })}\n`);
  await assert.rejects(acquireLock(file), lockedFor('takeover', new RegExp(`for more than a second; .*delete ${file} and ${file}.takeover`)));
  assert.ok(fs.existsSync(`${file}.takeover`), 'a live runner\'s token is left alone');
});

test('runner lock: of runners racing to take over the same stale lock, exactly one wins', { timeout: 60_000 }, async () => {
  // Three processes start together and take over 300 stale locks one after the other, so that
  // they contend for each: every lock must end with one winner, never two.
  const dir = tmp();
  const rounds = 300;
  const dead = deadPid();
  for (let i = 0; i < rounds; i++) {
    fs.mkdirSync(path.join(dir, String(i)));
    fs.writeFileSync(path.join(dir, String(i), 'runner.lock'), JSON.stringify({ pid: dead, host: os.hostname(), started: '2026-01-01T00:00:00.000Z' }));
  }
  const child = path.join(dir, 'contender.mts');
  fs.writeFileSync(child, `import * as fs from 'node:fs';
import { acquireLock } from ${JSON.stringify(path.resolve('core/src/store/lock.ts'))};
const dir = process.argv[2];
process.stdout.write('ready\\n');
while (!fs.existsSync(dir + '/go')) { /* spin: start together */ }
const won = [];
for (let i = 0; i < ${rounds}; i++) {
  try { await acquireLock(dir + '/' + i + '/runner.lock'); won.push(i); } catch (e) { if (e.name !== 'LockedError') throw e; }
}
process.stdout.write(JSON.stringify(won) + '\\n');
// Holders stay alive until all have tried: a lock released early may be taken again, rightly.
while (!fs.existsSync(dir + '/done')) await new Promise((r) => setTimeout(r, 10));
`);
  const { spawn } = await import('node:child_process');
  const procs = Array.from({ length: 3 }, () => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const lines = (n: number) => new Promise<string[]>((resolve) => {
      const look = () => { const l = out.split('\n').filter(Boolean); if (l.length >= n) resolve(l); };
      p.stdout.on('data', look);
      look();
    });
    return { p, ready: lines(1), result: lines(2), exit: new Promise((resolve) => p.on('exit', resolve)) };
  });
  await Promise.all(procs.map((c) => c.ready));
  fs.writeFileSync(path.join(dir, 'go'), '');
  const won = (await Promise.all(procs.map((c) => c.result))).map((l) => JSON.parse(l[1]) as number[]);
  fs.writeFileSync(path.join(dir, 'done'), '');
  assert.deepEqual((await Promise.all(procs.map((c) => c.exit))), [0, 0, 0]);
  const winners = Array.from({ length: rounds }, (_, i) => won.filter((w) => w.includes(i)).length);
  assert.deepEqual(winners.filter((n) => n !== 1), [], `locks with other than one winner: ${winners.map((n, i) => (n !== 1 ? `${i}:${n}` : '')).filter(Boolean).join(' ')}`);
});
