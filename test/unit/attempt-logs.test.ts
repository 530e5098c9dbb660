// Show Logs reads a run's logs attempt by attempt (client/src/attempt-logs.ts): a real run whose
// first attempt fails is read back in order with a marker line per attempt; the reader continues
// where it stopped as the files grow, keeps a line cut mid-write (and a UTF-8 character cut
// mid-byte) until its newline, and reads runs of runners that recorded no offsets as one piece.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AttemptLogReader, attemptMarker } from '../../client/src/attempt-logs';
import type { LogStream } from '../../client/src/attempt-logs';
import { planFile, runPlan } from '../../core/src/runner/runner';
import { FileStore } from '../../core/src/store/store';
import type { AttemptRecord, RunRecord } from '../../core/src/store/store';

const host = {
  readFile: (p: string) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
  exists: (p: string) => fs.existsSync(p),
};

async function collect(reader: AttemptLogReader, run: RunRecord, final = true): Promise<string[]> {
  const out: string[] = [];
  await reader.read(run, (s: LogStream, l: string) => out.push(`${s}: ${l}`), final);
  return out;
}

test('a run retried after exit 3: attempts in order, each after its marker line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-attempt-logs-'));
  // Fails its first attempt with exit 3 (stdout and stderr), succeeds on the second.
  fs.writeFileSync(path.join(dir, 'train.sh'), '#!/bin/sh\necho "start $EXPCTL_ATTEMPT"\nif [ "$EXPCTL_ATTEMPT" = 1 ]; then echo "lost rank 1" >&2; exit 3; fi\necho "done"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'e.experiment.yaml'), 'name: e\ncommand: [./train.sh]\nretry: { max_retries: 1, backoff_initial_s: 0.01 }\n');
  const { plan, diagnostics } = planFile(path.join(dir, 'e.experiment.yaml'), host);
  assert.ok(plan, JSON.stringify(diagnostics));
  const store = new FileStore(path.join(dir, '.expctl'));
  const summary = await runPlan(plan, { store, graceS: 1 });
  const run = summary.runs[0];
  assert.equal(run.status, 'succeeded');
  assert.deepEqual(run.attempts.map((a) => a.logs_from), [{ stdout: 0, stderr: 0 }, { stdout: 'start 1\n'.length, stderr: 'lost rank 1\n'.length }],
    'each attempt records where its output starts');
  const lines = await collect(new AttemptLogReader(store.runDir(run.id)), run);
  assert.deepEqual(lines, [
    'marker: ── attempt 1 ──', 'stdout: start 1', 'stderr: lost rank 1',
    'marker: ── attempt 2 (retry after exit:3) ──', 'stdout: start 2', 'stdout: done',
  ]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const rec = (attempts: AttemptRecord[]): RunRecord => ({
  schema_version: 1, id: 'r', sweep_id: 's', experiment: 'e', experiment_file: '/e.experiment.yaml',
  trial: { index: 0, key: 'k', name: 't', repeat: 0 }, params: {}, target: 'local', status: 'running',
  created: '2026-01-01T00:00:00.000Z', attempts, host: 'h', summary: {},
});

test('live: continues where it stopped, a cut line (and a cut UTF-8 character) waits for its newline; the next attempt gets its marker', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-attempt-logs-'));
  const out = path.join(dir, 'stdout.log');
  const reader = new AttemptLogReader(dir);
  const a1: AttemptRecord = { n: 1, started: 't', logs_from: { stdout: 0, stderr: 0 } };
  fs.writeFileSync(out, 'step 1\nloss é');
  fs.appendFileSync(out, Buffer.from('→', 'utf8').subarray(0, 1));
  assert.deepEqual(await collect(reader, rec([a1]), false), ['marker: ── attempt 1 ──', 'stdout: step 1']);
  fs.appendFileSync(out, Buffer.concat([Buffer.from('→', 'utf8').subarray(1), Buffer.from(' 0.5\r\npartial')]));
  assert.deepEqual(await collect(reader, rec([a1]), false), ['stdout: loss é→ 0.5']);
  // The first attempt ended with a line without its newline; the second starts after it.
  const a2: AttemptRecord = { n: 2, started: 't', logs_from: { stdout: fs.statSync(out).size, stderr: 0 } };
  fs.appendFileSync(out, 'again\n');
  assert.deepEqual(await collect(reader, rec([{ ...a1, failure_class: 'oom' }, a2]), false),
    ['stdout: partial', 'marker: ── attempt 2 (retry after oom) ──', 'stdout: again']);
  assert.deepEqual(await collect(reader, rec([a1, a2]), true), [], 'nothing twice');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a run whose runner recorded no offsets: one piece, no markers, and the reader says so', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-attempt-logs-'));
  fs.writeFileSync(path.join(dir, 'stdout.log'), 'a\nb\n');
  fs.writeFileSync(path.join(dir, 'stderr.log'), 'oops\n');
  const reader = new AttemptLogReader(dir);
  const lines = await collect(reader, rec([{ n: 1, started: 't', failure_class: 'exit:1' }, { n: 2, started: 't' }]));
  assert.deepEqual(lines, ['stdout: a', 'stdout: b', 'stderr: oops']);
  assert.equal(reader.legacy, true);
  assert.equal(attemptMarker({ n: 3, started: 't' }, { n: 2, started: 't', failure_class: 'interrupted' }), '── attempt 3 (continued after interrupted) ──');
  fs.rmSync(dir, { recursive: true, force: true });
});
