import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podVerdict, workloadEnd, workloadFailure } from '../../core/src/k8s/status';
import type { PodLike } from '../../core/src/k8s/status';
import { classify, retryable } from '../../core/src/runner/failure';

const t0 = Date.parse('2026-12-02T10:00:00Z');
const o = { scheduleTimeoutS: 60, startTimeoutS: 30 };
const pod = (status: PodLike['status'], nodeName?: string): PodLike => ({ metadata: { name: 'p', creationTimestamp: new Date(t0).toISOString() }, spec: { nodeName }, status });
const term = (exitCode: number, reason = 'Error') => [{ name: 'main', state: { terminated: { exitCode, reason } } }];

test('succeeded, and failed with the container\'s exit code (classified as locally)', () => {
  assert.deepEqual(podVerdict(pod({ phase: 'Succeeded', containerStatuses: term(0, 'Completed') }, 'n1'), t0, o), { state: 'ended', phase: 'Succeeded', node: 'n1', exitCode: 0 });
  const v = podVerdict(pod({ phase: 'Failed', containerStatuses: term(3) }, 'n1'), t0, o);
  assert.deepEqual(v, { state: 'ended', phase: 'Failed', node: 'n1', exitCode: 3 });
});

test('OOMKilled → oom, Evicted and DisruptionTarget → evicted (retryable), DeadlineExceeded → timeout', () => {
  const oom = podVerdict(pod({ phase: 'Failed', containerStatuses: term(137, 'OOMKilled') }), t0, o);
  assert.equal(oom.state === 'ended' && oom.failure?.class, 'oom');
  const ev = podVerdict(pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }, 'n2'), t0, o);
  assert.equal(ev.state === 'ended' && ev.failure?.class, 'evicted');
  assert.match(ev.state === 'ended' ? ev.failure!.message : '', /n2: The node was low on resource: memory/);
  const pre = podVerdict(pod({ phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: 'preempted by a higher-priority pod' }], containerStatuses: term(143) }), t0, o);
  assert.equal(pre.state === 'ended' && pre.failure?.class, 'evicted');
  assert.equal(retryable('evicted', ['evicted']), true);
  assert.equal(retryable('evicted', ['oom']), false);
  const dl = podVerdict(pod({ phase: 'Failed', reason: 'DeadlineExceeded' }), t0, o);
  assert.equal(dl.state === 'ended' && dl.failure?.class, 'timeout');
});

test('Pending + Unschedulable is pending until schedule_timeout, then stuck with the scheduler\'s message', () => {
  const st = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' }] };
  assert.deepEqual(podVerdict(pod(st), t0 + 59_000, o), { state: 'pending', phase: 'Pending', node: undefined, detail: 'unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.' });
  const v = podVerdict(pod(st), t0 + 61_000, o);
  assert.equal(v.state, 'stuck');
  assert.equal(v.state === 'stuck' && v.failure.class, 'unschedulable');
  assert.match(v.state === 'stuck' ? v.failure.message : '', /Insufficient nvidia\.com\/gpu/);
  assert.equal(retryable('unschedulable', undefined), false);
});

test('image pull and container config errors: pending within start_timeout, then a class that is not retried', () => {
  const st = (reason: string) => ({ phase: 'Pending', containerStatuses: [{ name: 'main', state: { waiting: { reason, message: 'rpc error: not found' } } }] });
  assert.equal(podVerdict(pod(st('ImagePullBackOff')), t0 + 10_000, o).state, 'pending');
  const img = podVerdict(pod(st('ErrImagePull')), t0 + 31_000, o);
  assert.equal(img.state === 'stuck' && img.failure.class, 'image_error');
  assert.match(img.state === 'stuck' ? img.failure.message : '', /ErrImagePull: rpc error: not found.*kubernetes\.image/);
  const cfg = podVerdict(pod(st('CreateContainerConfigError')), t0 + 31_000, o);
  assert.equal(cfg.state === 'stuck' && cfg.failure.class, 'config_error');
  for (const c of ['image_error', 'config_error'] as const) assert.equal(retryable(c, undefined), false);
  // A pod merely pulling is neither.
  assert.equal(podVerdict(pod({ phase: 'Pending', containerStatuses: [{ name: 'main', state: { waiting: { reason: 'ContainerCreating' } } }] }), t0 + 999_000, o).state, 'pending');
});

test('a target\'s own failure wins over the exit code in classify', () => {
  const f = classify({ exitCode: 137, signal: null, timedOut: false, cancelled: false, stderrTail: '', program: 'Job ns/x', failure: { class: 'evicted', message: 'evicted from node n' } });
  assert.deepEqual(f, { class: 'evicted', message: 'evicted from node n' });
  assert.equal(classify({ exitCode: 0, signal: null, timedOut: false, cancelled: true, stderrTail: '', program: 'x', failure: { class: 'oom', message: '' } })?.class, 'cancelled');
});

test('workload conditions: Complete/Succeeded, Failed with the controller\'s reason', () => {
  assert.deepEqual(workloadEnd({ status: { conditions: [{ type: 'Running', status: 'True' }] } }), undefined);
  assert.deepEqual(workloadEnd({ status: { conditions: [{ type: 'Complete', status: 'True' }] } }), { succeeded: true, reason: undefined, message: undefined });
  assert.equal(workloadEnd({ status: { conditions: [{ type: 'Succeeded', status: 'True' }] } })?.succeeded, true);
  const end = workloadEnd({ status: { conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] } })!;
  assert.equal(workloadFailure(end).class, 'timeout');
  assert.equal(workloadFailure({ reason: 'PyTorchJobFailed', message: 'pod master-0 exited with code 2' }).class, 'exit:2');
  assert.equal(workloadFailure({ reason: 'PyTorchJobFailed', message: 'OOMKilled' }).class, 'oom');
});
