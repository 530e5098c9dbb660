// The retry policy on real processes: on_failure scales the batch size after each CUDA OOM and sets
// NCCL_TIMEOUT after a timeout; the waits follow backoff_initial_s × base^(n-1); every attempt
// records what it ran with; a policy with nothing left to change fails the run saying so.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planFile, runPlan } from '../../core/src/runner/runner';
import type { RunnerEvent } from '../../core/src/runner/runner';
import { FileStore } from '../../core/src/store/store';
import type { FileHost } from '../../core/src/rules/api';

const host: FileHost = {
  readFile: (p) => { try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; } },
  exists: (p) => fs.existsSync(p),
};

// Out of memory while the batch size is above 32; hangs (until the timeout) without NCCL_TIMEOUT.
const TRAIN = `#!/bin/sh
if [ "$1" -gt 32 ]; then echo "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB" >&2; exit 1; fi
[ -n "$NCCL_TIMEOUT" ] || exec sleep 30
echo "@expctl {\\"bs\\": $1, \\"nccl_timeout\\": $NCCL_TIMEOUT}"
`;

async function run(experiment: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-retry-'));
  fs.writeFileSync(path.join(dir, 'train.sh'), TRAIN, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'e.experiment.yaml'), experiment);
  const { plan, diagnostics } = planFile(path.join(dir, 'e.experiment.yaml'), host);
  assert.ok(plan, JSON.stringify(diagnostics));
  const store = new FileStore(path.join(dir, '.expctl'));
  const waits: number[] = [];
  const onEvent = (e: RunnerEvent) => { if (e.type === 'retry') waits.push(e.waitS); };
  // The runner's own environment must not have the variable the policy sets.
  const saved = process.env.NCCL_TIMEOUT;
  delete process.env.NCCL_TIMEOUT;
  try {
    const summary = await runPlan(plan, { store, graceS: 1, random: () => 0, onEvent });
    return { run: summary.runs[0], store, waits };
  } finally {
    if (saved !== undefined) process.env.NCCL_TIMEOUT = saved;
  }
}

test('on_failure: batch size scaled after each OOM, NCCL_TIMEOUT set after the timeout; waits follow backoff_initial_s', async () => {
  const { run: r, store, waits } = await run(`name: e
command: [./train.sh, "{params.batch_size}"]
params: { batch_size: 128 }
timeout: 2s
retry: { max_retries: 4, backoff_initial_s: 0.05, backoff_base_s: 2, jitter: true, on: [oom, timeout] }
on_failure:
  oom: { scale: { params.batch_size: 0.5 }, min: 16 }
  timeout: { env: { NCCL_TIMEOUT: "7200" } }
`);
  assert.equal(r.status, 'succeeded');
  assert.deepEqual(r.attempts.map((a) => [a.failure_class ?? 'ok', a.params, a.env]), [
    ['oom', undefined, undefined],
    ['oom', { 'params.batch_size': 64 }, undefined],
    ['timeout', { 'params.batch_size': 32 }, undefined],
    ['ok', { 'params.batch_size': 32 }, { NCCL_TIMEOUT: '7200' }],
  ]);
  // 0.05 × 2^(n-1) before retry n; jitter with random() = 0 adds nothing.
  assert.deepEqual(waits, [0.05, 0.1, 0.2]);
  assert.deepEqual(r.attempts.map((a) => a.waited_s), [undefined, 0.05, 0.1, 0.2]);
  assert.deepEqual(r.summary.bs.last, 32, 'the command got the scaled value');
  assert.deepEqual(r.summary.nccl_timeout.last, 7200, 'and the variable');
  assert.equal(r.effective_params?.['params.batch_size'], 32);
  assert.notEqual(r.params['params.batch_size'], 32, 'the nominal params stay as planned');
  // run.json on disk says the same, and the journal says what each retry changed.
  const saved = JSON.parse(fs.readFileSync(path.join(store.runDir(r.id), 'run.json'), 'utf8'));
  assert.deepEqual(saved.attempts[3].env, { NCCL_TIMEOUT: '7200' });
  assert.equal(saved.effective_params['params.batch_size'], 32);
  const retries = store.events().filter((e) => e.event === 'retry-scheduled' && e.run_id === r.id);
  assert.deepEqual(retries.map((e) => [e.failure, e.params, e.env]), [
    ['oom', { 'params.batch_size': 64 }, {}],
    ['oom', { 'params.batch_size': 32 }, {}],
    ['timeout', {}, { NCCL_TIMEOUT: '7200' }],
  ]);
});

test('on_failure can scale a numeric timeout up: the next attempt gets the longer limit', async () => {
  const { run: r } = await run(`name: e
command: [sleep, "1.5"]
timeout: 1
retry: { max_retries: 1, backoff_initial_s: 0, on: [timeout] }
on_failure:
  timeout: { scale: { timeout: 3 } }
`);
  assert.deepEqual(r.attempts.map((a) => [a.failure_class ?? 'ok', a.params]), [['timeout', undefined], ['ok', { timeout: 3 }]]);
  assert.equal(r.status, 'succeeded');
});

test('on_failure with nothing left to change: the run fails before max_retries, saying why', async () => {
  const { run: r, waits } = await run(`name: e
command: [./train.sh, "{params.batch_size}"]
params: { batch_size: 256 }
retry: { max_retries: 10, backoff_initial_s: 0.01, on: [oom] }
on_failure:
  oom: { scale: { params.batch_size: 0.5 }, min: 64 }
`);
  assert.equal(r.status, 'failed');
  assert.deepEqual(r.attempts.map((a) => a.params?.['params.batch_size']), [undefined, 128, 64]);
  assert.equal(waits.length, 2);
  assert.equal(r.attempts[2].message, 'out of memory: torch.OutOfMemoryError; on_failure.oom: params.batch_size is 64, already at its minimum 64 — '
    + 'nothing left to change, so another attempt would fail the same way');
  assert.equal(r.effective_params?.['params.batch_size'], 64);
});
