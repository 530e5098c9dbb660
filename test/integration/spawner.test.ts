// The spawner helpers with real processes: what they report and the status file they leave
// (attempt-N.status) for a runner that was not there to see the end.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Spawner } from '../../core/src/targets/spawner';

function start(s: Spawner, argv: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-spawner-'));
  const status = path.join(dir, 'attempt-1.status');
  const req = { argv, cwd: dir, env, stdoutFile: path.join(dir, 'stdout.log'), stderrFile: path.join(dir, 'stderr.log'), status };
  const spawned = s.spawn(req);
  const read = (f: string) => fs.readFileSync(f, 'utf8');
  return { ...spawned, status, read, dir };
}

test('an exit code, a signal and a missing program: reported, and recorded in the status files', async () => {
  const s = new Spawner();
  const code = start(s, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
  const pid = await code.pid;
  assert.ok(pid && pid > 0);
  assert.deepEqual(await code.exit, { code: 3, signal: null, error: undefined });
  assert.equal(code.read(code.status), `pid ${pid}\nexit 3\n`);
  assert.equal(code.read(path.join(code.dir, 'stdout.log')), 'out\n');
  assert.equal(code.read(path.join(code.dir, 'stderr.log')), 'err\n');

  const sig = start(s, ['sh', '-c', 'kill -TERM $$']);
  assert.deepEqual(await sig.exit, { code: null, signal: 'SIGTERM', error: undefined });
  assert.match(sig.read(sig.status), /^pid \d+\nexit 143\n$/, 'a signal death as a shell writes it: 128 + 15');

  const missing = start(s, ['expctl-no-such-program']);
  const e = await missing.exit;
  assert.equal(await missing.pid, undefined);
  assert.equal(e.error?.code, 'ENOENT');
  assert.equal(missing.read(missing.status), 'exit 127\n');
  assert.match(missing.read(path.join(missing.dir, 'stderr.log')), /expctl-no-such-program: not found\n$/);
});

test('a runtime that refuses one of the helper flags gets a plain helper, and the attempts still run', async () => {
  // Requested while the helper starts, once it has died (started ahead by warm()), and plainly.
  const racing = new Spawner(['--expctl-no-such-flag']);
  racing.warm();
  const early = start(racing, ['sh', '-c', 'echo ran']);
  const warmed = new Spawner(['--expctl-no-such-flag']);
  const refused = warmed.warm();
  assert.equal(refused.length, 2);
  assert.deepEqual(await Promise.all(refused.map((h) => new Promise((r) => h.once('exit', r)))), [9, 9], 'the runtime refuses the flag');
  const late = start(warmed, ['sh', '-c', 'echo ran']);
  const plain = start(new Spawner(['--expctl-no-such-flag']), ['sh', '-c', 'echo ran']);
  for (const r of [early, late, plain]) {
    assert.deepEqual(await r.exit, { code: 0, signal: null, error: undefined });
    assert.equal(r.read(path.join(r.dir, 'stdout.log')), 'ran\n');
  }
});

test('two helpers share the attempts, and each attempt gets exactly its own environment', async () => {
  const s = new Spawner();
  const helpers = s.warm().map((h) => h.pid);
  assert.equal(new Set(helpers).size, 2);
  // The base the helpers hold is this process's environment; each request changes, adds and drops variables.
  const first = Object.keys(process.env).find((k) => k !== 'PATH')!;
  const env = (i: number) => ({ ...process.env, EXPCTL_RUN_ID: `r${i}`, [first]: undefined, PATH: `${process.env.PATH}:/x${i}` });
  const runs = [0, 1, 2, 3].map((i) => start(s, ['sh', '-c', `echo "$EXPCTL_RUN_ID|\${${first}-unset}|$PATH"; echo $PPID; sleep 0.2`], env(i)));
  const parents = new Set<number>();
  for (const [i, r] of runs.entries()) {
    assert.deepEqual(await r.exit, { code: 0, signal: null, error: undefined });
    const [vars, ppid] = r.read(path.join(r.dir, 'stdout.log')).trim().split('\n');
    assert.equal(vars, `r${i}|unset|${process.env.PATH}:/x${i}`);
    parents.add(Number(ppid));
  }
  assert.deepEqual([...parents].sort(), [...helpers].sort(), 'four attempts at once, two on each helper');
});
