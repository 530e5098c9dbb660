// The editor and cluster runs, without an editor: what the Experiments view says about a run on
// Kubernetes (client/src/describe.ts), which cancels go through the CLI and what the user is told
// when the CLI fails (client/src/cli.ts), and the chart colours of the Kubernetes failure classes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { AttemptRecord, K8sAttempt, RunRecord } from '../../core/src/store/store';
import { clusterLines, describeAttempt, describeRun, podText } from '../../client/src/describe';
import { cliFailure, cliJson } from '../../client/src/cli';
import { createTheme, statusColor, statusKey } from '../../core/src/charts/theme';

const JOB: K8sAttempt = { kind: 'Job', namespace: 'training', name: 'lr0-01-bs16-57c5148c-a1', context: 'prod' };

function run(o: Partial<RunRecord> = {}): RunRecord {
  return {
    schema_version: 1, id: 'lr0.01_bs16-57c5148c', sweep_id: 'grid-sweep-1', experiment: 'train', experiment_file: '/w/train.experiment.yaml',
    trial: { index: 0, key: '57c5148c50879bff', name: 'lr0.01_bs16', repeat: 0 }, params: { learning_rate: 0.01 },
    target: 'local', status: 'running', created: '2026-01-01T00:00:00.000Z', attempts: [], host: 'h', summary: {}, ...o,
  };
}
const attempt = (o: Partial<AttemptRecord> = {}): AttemptRecord => ({ n: 1, started: '2026-01-01T00:00:01.000Z', ...o });

test('a running pod: its phase and node after the status; the tooltip names the Job, pod, node and context', () => {
  const k: K8sAttempt = { ...JOB, pod: 'lr0-01-bs16-57c5148c-a1-x7k2p', phase: 'Running', node: 'gpu-node-1' };
  const r = run({ target: 'cluster', attempts: [attempt({ k8s: k })] });
  const t = describeRun(r);
  assert.equal(t.description, 'running · Running on gpu-node-1');
  assert.equal(t.icon, 'running');
  assert.deepEqual(t.cluster, ['Job training/lr0-01-bs16-57c5148c-a1', 'pod lr0-01-bs16-57c5148c-a1-x7k2p Running on node gpu-node-1', 'context prod']);
});

test('a pending pod: why it waits, and the queued icon while the run counts as running', () => {
  const detail = 'unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.';
  const r = run({ target: 'cluster', attempts: [attempt({ k8s: { ...JOB, pod: 'p-1', phase: 'Pending', detail } })] });
  const t = describeRun(r);
  assert.equal(t.description, `running · Pending: ${detail}`);
  assert.equal(t.icon, 'queued');
  assert.deepEqual(t.cluster, ['Job training/lr0-01-bs16-57c5148c-a1', 'pod p-1 Pending', 'context prod', detail]);
  // Before its pod is seen, the Job is what there is.
  assert.equal(describeRun(run({ attempts: [attempt({ k8s: JOB })] })).description, 'running · Job created');
  assert.deepEqual(clusterLines({ kind: 'PyTorchJob', namespace: 'ml', name: 'pj' }), ['PyTorchJob ml/pj']);
});

test('an ended run says the node it ran on, its duration, metric and failure class; the pod phase is no news then', () => {
  const ended = { ended: '2026-01-01T00:02:00.000Z', duration_s: 119 };
  const failed = run({
    target: 'cluster', status: 'failed', duration_s: 125,
    attempts: [attempt({ ...ended, failure_class: 'image_error', message: 'ErrImagePull: not found', k8s: { ...JOB, phase: 'Pending', detail: 'ErrImagePull: not found' } })],
  });
  assert.equal(describeRun(failed).description, 'failed · 2m5s · image_error');
  assert.equal(describeRun(failed).icon, 'failed');
  const ok = run({
    target: 'cluster', status: 'succeeded', duration_s: 12.34, summary: { val_loss: { last: 0.011, min: 0.011, max: 0.5, mean: 0.1, count: 5 } },
    attempts: [attempt({ ...ended, k8s: { ...JOB, pod: 'p', phase: 'Running', node: 'gpu-node-1' } })],
  });
  assert.equal(describeRun(ok, 'val_loss').description, 'succeeded · on gpu-node-1 · 12.3 s · val_loss 0.011');
});

test('between attempts (a retry waiting) the ended pod of the last one is not shown as the run\'s', () => {
  const r = run({ target: 'cluster', attempts: [attempt({ ended: '2026-01-01T00:01:00.000Z', failure_class: 'evicted', k8s: { ...JOB, phase: 'Failed', node: 'gpu-node-2' } })] });
  assert.equal(describeRun(r).description, 'running');
  assert.equal(describeRun(r).icon, 'running');
});

test('attempt rows: the class, the Job and where its pod is or was', () => {
  const evicted = attempt({
    ended: '2026-01-01T00:01:00.000Z', duration_s: 41, failure_class: 'evicted', message: 'The node was low on resource: memory.',
    k8s: { ...JOB, pod: 'p', phase: 'Failed', node: 'gpu-node-2' },
  });
  assert.deepEqual(describeAttempt(evicted), {
    description: 'evicted · lr0-01-bs16-57c5148c-a1 · on gpu-node-2 · 41.0 s · The node was low on resource: memory.',
    cluster: ['Job training/lr0-01-bs16-57c5148c-a1', 'pod p Failed on node gpu-node-2', 'context prod'],
  });
  const live = attempt({ n: 2, k8s: { ...JOB, name: 'lr0-01-bs16-57c5148c-a2', pod: 'q', phase: 'Running', node: 'gpu-node-1' } });
  assert.equal(describeAttempt(live).description, 'running · lr0-01-bs16-57c5148c-a2 · Running on gpu-node-1');
  assert.equal(podText({ ...JOB }, false), '');
});

test('local runs read as before: no pod, no cluster lines', () => {
  const r = run({ status: 'failed', duration_s: 3.21, attempts: [attempt({ ended: '2026-01-01T00:00:04.000Z', failure_class: 'exit:3', duration_s: 3.2, message: 'exited with code 3' })] });
  assert.deepEqual(describeRun(r), { description: 'failed · 3.2 s · exit:3', icon: 'failed', cluster: [], warnings: [] });
  assert.deepEqual(describeAttempt(r.attempts[0]), { description: 'exit:3 · 3.2 s · exited with code 3', cluster: [] });
  assert.equal(describeRun(run({ warnings: ['no val_loss reported'] })).description, 'running · ⚠ no val_loss reported');
});

test('a CLI failure is told whole on one line, from its JSON answer (ErrorResult): a preflight\'s every problem, not only its first line', () => {
  const message = [
    'grid: target cluster: preflight on context \'prod\' (https://10.0.0.1:6443) failed:',
    '  - namespace \'training\' does not exist — create it (kubectl create namespace training) or set namespace: in targets.yaml',
    '  - not allowed in namespace \'training\': create jobs — ask your cluster admin for a Role with these verbs, or use another namespace',
    'nothing was started (--no-preflight skips these checks)',
  ].join('\n');
  const answer = (m: string, code = 1) => ({ code, out: `${JSON.stringify({ version: 1, status: 'error', exit_code: code, message: m })}\n`, err: `expctl: ${m}\n` });
  assert.deepEqual(cliJson(answer(message)), { error:
    'grid: target cluster: preflight on context \'prod\' (https://10.0.0.1:6443) failed: - namespace \'training\' does not exist — create it (kubectl create namespace training) or set namespace: in targets.yaml '
    + '- not allowed in namespace \'training\': create jobs — ask your cluster admin for a Role with these verbs, or use another namespace nothing was started (--no-preflight skips these checks)' });
  const long = cliJson(answer(`internal: ${'x'.repeat(2000)}`));
  assert.ok('error' in long);
  assert.equal(long.error.length, 600 + '… (the rest in the expctl output)'.length - 1);
  assert.match(long.error, /^internal: x+… \(the rest in the expctl output\)$/);
  // An answer: the typed object.
  assert.deepEqual(cliJson({ code: 0, out: '{"version":1,"id":"s","kind":"sweep","cancelled":[]}\n', err: '' }), { ok: { version: 1, id: 's', kind: 'sweep', cancelled: [] } });
  // Another version, or no JSON from a CLI that says it succeeded: said, never taken for an answer.
  assert.match((cliJson({ code: 0, out: '{"version":2}', err: '' }) as { error: string }).error, /did not answer in JSON version 1 .*reinstall the extension/);
  // No JSON at all (it crashed, or did not start): its stderr, without Node's warnings about bundled code.
  const nodeWarning = '(node:25567) [DEP0040] DeprecationWarning: The `punycode` module is deprecated. Please use a userland alternative instead.\n'
    + '(Use `node --trace-deprecation ...` to show where the warning was created)\n';
  assert.deepEqual(cliJson({ code: 70, out: '', err: `${nodeWarning}expctl: internal error: boom\n    at x\n` }), { error: 'expctl: internal error: boom' });
  assert.equal(cliFailure({ code: 3, out: '', err: '' }), 'exit code 3');
  // A long stderr: its tail, where the error is.
  const long2 = cliFailure({ code: 1, out: '', err: `${'progress line\n'.repeat(200)}Error: ENOSPC: no space left on device\n    at write (node:fs:1)\n` });
  assert.match(long2, /^….*progress line Error: ENOSPC: no space left on device \(all of it in the expctl output\)$/);
  assert.equal(long2.length, 600 + ' (all of it in the expctl output)'.length);
});

test('chart colours: the Kubernetes failure classes and pod reasons are statuses', () => {
  for (const s of ['unschedulable', 'image_error', 'config_error', 'ErrImagePull', 'ImagePullBackOff', 'CreateContainerConfigError']) assert.equal(statusKey(s), 'failed', s);
  assert.equal(statusKey('DeadlineExceeded'), 'timeout');
  assert.equal(statusKey('OOMKilled'), 'oom');
  assert.equal(statusKey('evicted'), 'interrupted', 'retried, like an HTCondor eviction');
  const theme = createTheme();
  assert.equal(statusColor(theme, 'image_error'), theme.status.failed);
});

test('a running run shows its elapsed time; once its runner is gone it is interrupted, not running', () => {
  const r = run({ started: '2026-01-01T00:00:00.000Z', attempts: [attempt()] });
  const now = Date.parse('2026-01-01T00:00:12.340Z');
  assert.equal(describeRun(r, undefined, { now }).description, 'running · 12.3 s');
  assert.equal(describeRun(r, undefined, { now }).icon, 'running');
  const gone = describeRun(r, undefined, { now, runnerGone: true });
  assert.equal(gone.description, 'interrupted (its runner is gone)');
  assert.equal(gone.icon, 'interrupted');
  // An ended run is what run.json says, whatever became of its runner.
  assert.equal(describeRun(run({ status: 'succeeded', duration_s: 3 }), undefined, { now, runnerGone: true }).description, 'succeeded · 3.0 s');
});
