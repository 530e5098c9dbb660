// `expctl cancel` signals only processes it can prove are the run's: a run.json (or a sweep lock)
// naming some other process — a pid reused after the run's ended, a file edited by hand — never
// gets that process killed (issue 17 item 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore } from '../../core/src/store/store';
import type { RunRecord } from '../../core/src/store/store';
import { sweepLockFile } from '../../core/src/store/lock';
import { alive } from '../../core/src/util/process';

const CLI = path.resolve(__dirname, '../../dist/cli.js');

/** A process that is not ours to stop (its own group, not a child the test would reap). */
function bystander(t: { after(fn: () => void): void }): number {
  const c = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  c.unref();
  t.after(() => { try { process.kill(c.pid!, 'SIGKILL'); } catch { /* gone */ } });
  return c.pid!;
}

async function storeWithRun(runnerPid: number, attemptPid: number): Promise<{ root: string; run: RunRecord }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-cancel-'));
  const store = new FileStore(root);
  const now = new Date().toISOString();
  const run: RunRecord = {
    schema_version: 1, id: 'victim-0-12345678', sweep_id: 'victims-abcdef12', experiment: 'victim', experiment_file: path.join(root, 'e.experiment.yaml'),
    trial: { index: 0, key: '12345678abcdef00', name: 'victim-0', repeat: 0 }, params: {}, target: 'local', status: 'running', created: now, started: now,
    attempts: [{ n: 1, started: now, pid: attemptPid }], host: os.hostname(), runner_pid: runnerPid, summary: {},
  };
  store.create(run, 'name: victim\n');
  store.save(run, 'attempt-started');
  await store.flush();
  return { root, run };
}

const cancel = (root: string, id: string) => spawnSync(process.execPath, [CLI, 'cancel', id, '--store', root], { encoding: 'utf8' });

test('cancel of a run whose recorded pids are other processes: nothing is signalled', async (t) => {
  const runner = bystander(t);
  const attempt = bystander(t);
  const { root, run } = await storeWithRun(runner, attempt);
  const r = cancel(root, run.id);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /cancelling victim-0-12345678/);
  await new Promise((res) => setTimeout(res, 300)); // a SIGTERM would have ended `sleep` by now
  assert.ok(alive(attempt), 'the process named as the attempt is not the attempt: left alone');
  assert.ok(alive(runner));
});

test('cancel of a whole sweep whose lock names a process that started after the lock: the runner is not signalled', async (t) => {
  const runner = bystander(t);
  const attempt = bystander(t);
  const { root, run } = await storeWithRun(runner, attempt);
  // A lock written an hour ago by the sweep's runner; the pid is now another, newer process's.
  const lock = sweepLockFile(root, run.sweep_id);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  fs.writeFileSync(lock, `${JSON.stringify({ pid: runner, host: os.hostname(), started: new Date(Date.now() - 3600_000).toISOString() })}\n`);
  const r = cancel(root, run.sweep_id);
  assert.equal(r.status, 0, r.stderr);
  await new Promise((res) => setTimeout(res, 300));
  assert.ok(alive(runner), 'a pid reused since the lock was taken is not the runner');
  assert.ok(alive(attempt));
});

/** Live processes whose environment names the run (the attempt's, wherever they went). */
function processesOf(runId: string): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`EXPCTL_RUN_ID=${runId}`) && alive(p); } catch { return false; }
  });
}

async function until<T>(probe: () => T | undefined | false, what: string, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; ;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('an attempt adopted after kill -9 of its runner is owned: running in run.json, cancel stops it, and a setsid grandchild with it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-adopt-'));
  fs.writeFileSync(path.join(dir, 'e.experiment.yaml'), 'name: owned\ncommand: [sh, -c, "setsid sleep 300 & sleep 300"]\n');
  const store = path.join(dir, '.expctl');
  const runner = () => {
    const c = spawn(process.execPath, [CLI, 'run', 'e.experiment.yaml', '--store', store], { cwd: dir, stdio: 'ignore' });
    return { c, exit: new Promise<void>((r) => c.on('exit', () => r())) };
  };
  const runs = () => new FileStore(store).all();
  const first = runner();
  const id = await until(() => { const r = runs()[0]; return r?.attempts[0]?.pid && processesOf(r.id).length >= 3 ? r.id : undefined; }, 'the attempt with its setsid grandchild');
  t.after(() => { for (const p of processesOf(id)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } } });
  first.c.kill('SIGKILL');
  await first.exit;
  const second = runner();
  t.after(() => second.c.kill('SIGKILL'));
  await until(() => { const r = runs()[0]; return r.status === 'running' && r.runner_pid === second.c.pid; }, 'run.json to say running, owned by the second runner');
  const c = cancel(store, id);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stdout, new RegExp(`cancelling ${id}`));
  await second.exit;
  assert.equal(runs()[0].status, 'cancelled');
  await until(() => processesOf(id).length === 0, 'every process of the attempt gone, the setsid one included', 15_000);
});
