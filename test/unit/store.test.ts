// The results store: atomic files, run records, journal, tables.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore, slug } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { appendLine, readJsonLines, writeFileAtomic } from '../../core/src/store/atomic';

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
  await s.create(record(id), 'name: demo\n');
  s.save({ ...record(id), status: 'succeeded' }, 'run-ended');
  assert.equal(s.newRunId('LR 0.1 / bs=32', 'abcdef0123456789'), `${id}-2`, 'later runs of a trial get a suffix');
  await s.flush(); // run.json is written in the background
  const again = new FileStore(root);
  assert.equal(again.get(id)?.status, 'succeeded');
  assert.equal(fs.readFileSync(path.join(root, 'runs', id, 'config.yaml'), 'utf8'), 'name: demo\n');
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(root, 'runs', id, 'params.json'), 'utf8')), { 'params.lr': 0.1 });
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
  assert.equal(failed[0], 'timestamp,run_id,trial_name,attempt,failure_class,message,config');
  assert.equal(failed[1], 't2,b,lr0.1,1,exit:1,"exited with code 1, ""quoted""","{""params.lr"":0.01}"');
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
