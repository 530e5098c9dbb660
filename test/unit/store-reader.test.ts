// The incremental store reader (core/src/store/reader.ts): what the editor and `status --watch` see
// of runners in other processes — taking in only what the journal names, and changing nothing on disk.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { StoreReader } from '../../core/src/store/reader';
import { writeFileAtomic } from '../../core/src/store/atomic';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-reader-'));

const record = (id: string, over: Partial<RunRecord> = {}): RunRecord => ({
  schema_version: 1, id, sweep_id: 'grid-1', experiment: 'demo', experiment_file: '/w/demo.experiment.yaml',
  trial: { index: 0, key: `${id}-key`, name: id, repeat: 0 }, params: {}, target: 'local',
  status: 'queued', created: '2026-11-23T10:00:00.000Z', attempts: [], host: 'h', summary: {}, ...over,
});

/** A runner's store with runs `ids`, all written through. */
async function storeWith(root: string, ...ids: string[]): Promise<FileStore> {
  const s = new FileStore(root);
  s.load();
  for (const id of ids) s.create(record(id), 'name: demo\n');
  await s.flush();
  return s;
}

/** run.json replaced as a runner replaces it, without a journal line. */
const rewrite = (root: string, rec: RunRecord) => writeFileAtomic(path.join(root, 'runs', rec.id, 'run.json'), `${JSON.stringify(rec)}\n`, false);
const journal = (root: string, text: string) => fs.appendFileSync(path.join(root, 'journal.jsonl'), text);
const statuses = (r: StoreReader) => Object.fromEntries(r.all().map((x) => [x.id, x.status]).sort());

test('first read takes in every run; then the journal\'s appends name what to read again', async () => {
  const root = tmp();
  const runner = await storeWith(root, 'a', 'b');
  const reader = new StoreReader(root);
  assert.equal(await reader.refresh(), true);
  assert.deepEqual(statuses(reader), { a: 'queued', b: 'queued' });
  assert.equal(await reader.refresh(), false, 'nothing new');

  runner.create(record('c'), 'name: demo\n');
  runner.save({ ...record('a'), status: 'succeeded' }, 'run-ended');
  await runner.flush();
  assert.equal(await reader.refresh(), true);
  assert.deepEqual(statuses(reader), { a: 'succeeded', b: 'queued', c: 'queued' });

  // Only what the journal names is read: a run.json changed behind its back is not (yet) seen…
  rewrite(root, { ...record('b'), status: 'failed' });
  assert.equal(await reader.refresh(), false);
  assert.equal(reader.get('b')?.status, 'queued');
  // …until a line names it.
  journal(root, `${JSON.stringify({ ts: 'now', event: 'run-ended', run_id: 'b', status: 'failed' })}\n`);
  assert.equal(await reader.refresh(), true);
  assert.equal(reader.get('b')?.status, 'failed');
});

test('a run.json that lags its journal line (a passing state written within a second) is read again until it catches up', async () => {
  const root = tmp();
  const runner = await storeWith(root, 'a');
  const reader = new StoreReader(root);
  await reader.refresh();
  journal(root, `${JSON.stringify({ ts: 'now', event: 'run-started', run_id: 'a', status: 'running' })}\n`);
  assert.equal(await reader.refresh(), false, 'run.json still says queued');
  rewrite(root, { ...record('a'), status: 'running', runner_pid: process.pid });
  assert.equal(await reader.refresh(), true, 'no new journal line, but the run was still due');
  assert.equal(reader.get('a')?.status, 'running');
  assert.equal(await reader.refresh(), false, 'caught up: not read again');
  runner.save({ ...record('a'), status: 'succeeded' }, 'run-ended');
  await runner.flush();
  assert.equal(await reader.refresh(), true);
  assert.equal(reader.get('a')?.status, 'succeeded');
});

test('a journal line still being appended is taken in once it is complete; a torn one is skipped', async () => {
  const root = tmp();
  await storeWith(root, 'a', 'b');
  const reader = new StoreReader(root);
  await reader.refresh();
  rewrite(root, { ...record('a'), status: 'failed' });
  const line = JSON.stringify({ ts: 'now', event: 'run-ended', run_id: 'a', status: 'failed' });
  journal(root, line.slice(0, 20));
  assert.equal(await reader.refresh(), false, 'half a line names nothing yet');
  assert.equal(reader.get('a')?.status, 'queued');
  journal(root, `${line.slice(20)}\n`);
  assert.equal(await reader.refresh(), true);
  assert.equal(reader.get('a')?.status, 'failed');
  // A kill -9 mid-line, then the next runner's lines: the torn one is skipped, the rest read.
  rewrite(root, { ...record('b'), status: 'succeeded' });
  journal(root, `{"ts":"now","event":"run-ended","run_\n${JSON.stringify({ ts: 'now', event: 'run-ended', run_id: 'b', status: 'succeeded' })}\n`);
  assert.equal(await reader.refresh(), true);
  assert.deepEqual(statuses(reader), { a: 'failed', b: 'succeeded' });
});

test('a journal replaced (a new store) or truncated: everything is read again, and runs gone are gone', async () => {
  const root = tmp();
  await storeWith(root, 'a', 'b');
  const reader = new StoreReader(root);
  await reader.refresh();
  // Replaced: the store deleted and made again with other runs.
  fs.rmSync(root, { recursive: true });
  await storeWith(root, 'c');
  assert.equal(await reader.refresh(), true);
  assert.deepEqual(statuses(reader), { c: 'queued' });
  // Truncated in place (same file, shorter): read whole again.
  rewrite(root, { ...record('c'), status: 'succeeded' });
  fs.truncateSync(path.join(root, 'journal.jsonl'), 0);
  assert.equal(await reader.refresh(), true);
  assert.deepEqual(statuses(reader), { c: 'succeeded' });
  // Gone altogether: no runs.
  fs.rmSync(root, { recursive: true });
  assert.equal(await reader.refresh(), true);
  assert.deepEqual(reader.all(), []);
});

test('damaged run.json files are listed apart, and taken in once repaired', async () => {
  const root = tmp();
  await storeWith(root, 'a', 'b');
  fs.writeFileSync(path.join(root, 'runs', 'b', 'run.json'), '{"id": "b"');
  fs.mkdirSync(path.join(root, 'runs', 'x'));
  fs.writeFileSync(path.join(root, 'runs', 'x', 'run.json'), JSON.stringify({ id: 'x', status: 'running' }));
  const reader = new StoreReader(root);
  await reader.refresh();
  assert.deepEqual(statuses(reader), { a: 'queued' });
  assert.deepEqual(reader.damaged.map((d) => [path.basename(path.dirname(d.file)), d.why.replace(/ \(.*/, '')]).sort(), [['b', 'not JSON'], ['x', '"sweep_id" is missing']]);
  rewrite(root, record('b'));
  journal(root, `${JSON.stringify({ ts: 'now', event: 'run-repaired', run_id: 'b' })}\n`);
  assert.equal(await reader.refresh(), true);
  assert.deepEqual(statuses(reader), { a: 'queued', b: 'queued' });
  assert.deepEqual(reader.damaged.map((d) => path.basename(path.dirname(d.file))), ['x']);
});

test('reading deletes and writes nothing: a run folder still being built by a runner that is gone stays (FileStore.load too)', async () => {
  const root = tmp();
  await storeWith(root, 'a');
  // create() builds `.<id>.<pid>.tmp`; this pid is past Linux's pid_max: no such process.
  const building = path.join(root, 'runs', '.b.4194305.tmp');
  fs.mkdirSync(building);
  fs.writeFileSync(path.join(building, 'run.json'), JSON.stringify(record('b')));
  const snapshot = () => {
    const out: string[] = [];
    const walk = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); out.push(`${p} ${fs.statSync(p).mtimeMs}`); if (e.isDirectory()) walk(p); } };
    walk(root);
    return out.sort();
  };
  const before = snapshot();
  const reader = new StoreReader(root);
  await reader.refresh();
  assert.deepEqual(statuses(reader), { a: 'queued' }, 'a folder being built is not a run');
  new FileStore(root).load();
  assert.deepEqual(snapshot(), before);
  // The runner cleans up, under its lock.
  new FileStore(root).removeStaleBuilds();
  assert.equal(fs.existsSync(building), false);
});

test('calls made while a look is under way share it', async () => {
  const root = tmp();
  await storeWith(root, 'a');
  const reader = new StoreReader(root);
  const [x, y] = await Promise.all([reader.refresh(), reader.refresh()]);
  assert.deepEqual([x, y], [true, true]);
  assert.equal(reader.all().length, 1);
});
