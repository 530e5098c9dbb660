// Scheduling: max_parallel, exclusive GPUs, strict FIFO; the nvidia-smi inventory format.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Scheduler } from '../../core/src/runner/scheduler';
import { overrideIndices, parseInventory } from '../../core/src/runner/gpus';

/** Resolves pending promise callbacks, so the test sees who has been scheduled so far. */
const settle = () => new Promise((r) => setImmediate(r));

test('at most maxParallel at once (CPU-only: no GPUs handed out)', async () => {
  const s = new Scheduler(2, undefined);
  const got: Array<number[] | undefined> = [];
  for (let i = 0; i < 3; i++) void s.acquire(0).then((g) => got.push(g));
  await settle();
  assert.deepEqual(got, [undefined, undefined]);
  assert.equal(s.waiting, 1);
  s.release(undefined);
  await settle();
  assert.equal(got.length, 3);
});

test('GPUs are exclusive and returned on release', async () => {
  const s = new Scheduler(8, [0, 1, 2, 3]);
  const a = await s.acquire(3);
  assert.deepEqual(a, [0, 1, 2]);
  let b: number[] | undefined;
  void s.acquire(2).then((g) => { b = g; });
  await settle();
  assert.equal(b, undefined, 'only one GPU is free');
  s.release(a);
  await settle();
  assert.deepEqual(b, [0, 1]);
});

test('strict FIFO: a small run does not overtake a big one waiting for GPUs', async () => {
  const s = new Scheduler(8, [0, 1]);
  const first = await s.acquire(1);
  const order: string[] = [];
  void s.acquire(2).then(() => order.push('big'));
  void s.acquire(1).then(() => order.push('small'));
  await settle();
  assert.deepEqual(order, [], 'the small one waits behind the big one although a GPU is free');
  s.release(first);
  await settle();
  assert.deepEqual(order, ['big']);
});

test('a run needing more GPUs than the machine has is refused at once', () => {
  const s = new Scheduler(2, [0]);
  assert.throws(() => s.acquire(2), /needs 2 GPUs but this machine has 1/);
});

test('nvidia-smi --query-gpu=index,name,memory.total,memory.used,utilization.gpu --format=csv,noheader,nounits', () => {
  // The documented CSV format of that query (not a recording from a GPU machine: none is available here).
  const text = '0, NVIDIA H100 80GB HBM3, 81559, 1, 0\n1, NVIDIA H100 80GB HBM3, 81559, 40211, 97\n2, Tesla T4, 15360, [N/A], [N/A]\n';
  assert.deepEqual(parseInventory(text), [
    { index: 0, name: 'NVIDIA H100 80GB HBM3', memoryTotalMb: 81559, memoryUsedMb: 1, utilization: 0 },
    { index: 1, name: 'NVIDIA H100 80GB HBM3', memoryTotalMb: 81559, memoryUsedMb: 40211, utilization: 97 },
    { index: 2, name: 'Tesla T4', memoryTotalMb: 15360, memoryUsedMb: 0, utilization: 0 },
  ]);
  assert.deepEqual(parseInventory('No devices were found\n'), []);
});

test('targets.yaml override of the GPU list', () => {
  assert.equal(overrideIndices(undefined), undefined);
  assert.deepEqual(overrideIndices('none'), []);
  assert.deepEqual(overrideIndices([0, { index: 3, name: 'A100' }]), [0, 3]);
});

test('adopted attempts reclaim their own GPUs ahead of the queue, even beyond max_parallel', async () => {
  const s = new Scheduler(1, [0, 1, 2, 3], { held: true });
  const got: Array<[string, number[] | undefined]> = [];
  void s.acquire(2).then((g) => got.push(['new', g]));
  void s.reclaim([1, 3]).then((g) => got.push(['orphan-a', g]));
  void s.reclaim([2, 7]).then((g) => got.push(['orphan-b', g])); // 7 is not in the inventory any more
  await settle();
  assert.deepEqual(got, [], 'nothing before start()');
  s.start();
  await settle();
  assert.deepEqual(got, [['orphan-a', [1, 3]], ['orphan-b', [2]]]);
  s.release([1, 3]);
  s.release([2]);
  await settle();
  assert.deepEqual(got[2], ['new', [0, 1]]);
});
