import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { experimentRules, normaliseSplit, sanitizeK8sName } from '../../core/src/rules/experiment';
import { targetsRules } from '../../core/src/rules/targets';
import { defaultSettings } from '../../core/src/rules/api';
import type { FileHost, Report, Rule, RuleContext } from '../../core/src/rules/api';
import type { FileKind, TargetsFile } from '../../core/src/config/types';

// ---------------------------------------------------------------------------------------------
// A fake RuleContext: reports collected into an array, files in a Map of absolute paths.

const DIR = '/proj/exp';
const FILE = `${DIR}/train.experiment.yaml`;

function fakeHost(files: Record<string, string>): FileHost {
  const map = new Map(Object.entries(files));
  return { readFile: (p) => map.get(p), exists: (p) => map.has(p) };
}

const TARGETS: TargetsFile = {
  default: 'local',
  targets: { 'gpu-cluster': { type: 'kubernetes', namespace: 'ml' }, box: { type: 'local' } },
};

interface RunOptions {
  kind?: FileKind;
  file?: string;
  files?: Record<string, string>;
  checkFiles?: boolean;
  targets?: TargetsFile | null;
  rules?: Rule[];
}

function run(config: unknown, opts: RunOptions = {}): Report[] {
  const reports: Report[] = [];
  const kind = opts.kind ?? 'experiment';
  const ctx: RuleContext = {
    kind,
    file: opts.file ?? FILE,
    config,
    settings: { ...defaultSettings, checkFiles: opts.checkFiles ?? true },
    host: fakeHost(opts.files ?? { [`${DIR}/train.py`]: 'print(1)' }),
    targets: opts.targets === null ? undefined : opts.targets ?? TARGETS,
    report: (r) => reports.push(r),
  };
  for (const rule of opts.rules ?? [...experimentRules, ...targetsRules]) {
    if (!rule.kinds.includes(kind)) continue;
    const before = reports.length;
    rule.check(ctx);
    for (const r of reports.slice(before)) assert.equal(r.rule, rule.id, `rule ${rule.id} reported as ${r.rule}`);
  }
  return reports;
}

/** Reports of one rule. */
function only(reports: Report[], id: string): Report[] {
  return reports.filter((r) => r.rule === id);
}

/** Exactly one report of rule `id`; returns it. */
function one(config: unknown, id: string, opts: RunOptions = {}): Report {
  const rs = only(run(config, opts), id);
  assert.equal(rs.length, 1, `expected one ${id} report, got ${JSON.stringify(rs, null, 2)}`);
  return rs[0];
}

function none(config: unknown, id: string, opts: RunOptions = {}): void {
  assert.deepEqual(only(run(config, opts), id), []);
}

type Cfg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A valid experiment that every rule accepts. */
function base(): Cfg {
  return {
    name: 'mnist-kafka-loading',
    command: ['python', 'train.py', '--batch-size', '{params.batch_size}', '--out', '{run_dir}/metrics.json'],
    launcher: { type: 'accelerate', num_processes: 3, mixed_precision: 'bf16' },
    env: { NCCL_TIMEOUT: '3600', OUT: '{run_dir}/{trial}', LOG: '{env.HOME}/x' },
    params: { batch_size: 192, num_epochs: 1, data_format: 'avro', optimizer: { lr: 0.001 } },
    resources: { gpus: 3, gpu_type: 'H100', memory: '32Gi' },
    target: 'gpu-cluster',
    retry: { max_retries: 3, backoff_base_s: 2, on: ['oom', 'timeout'] },
    on_oom: { param: 'params.batch_size', factor: 0.5 },
    timeout: '2h',
    data: {
      kafka: {
        bootstrap_servers: ['broker:9092'],
        topic: 'mnist_train_avro',
        offsets: ['0:0:19999', '1:0:19999'],
        split: [0.85715, 0.071425, 0.071425],
      },
    },
    kubernetes: {
      image: 'registry/trainer:1.2', namespace: 'training', kind: 'PyTorchJob', workers: 2,
      labels: { team: 'ml', 'app.kubernetes.io/name': 'trainer' },
      node_selector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
      volumes: [{ name: 'data', mount_path: '/data' }],
    },
  };
}

function cfg(change: (c: Cfg) => void): Cfg {
  const c = base();
  change(c);
  return c;
}

// ---------------------------------------------------------------------------------------------

describe('rule set', () => {
  test('the base experiment and a valid targets file are clean', () => {
    assert.deepEqual(run(base()), []);
    assert.deepEqual(run(TARGETS, { kind: 'targets' }), []);
  });

  test('ids and kinds', () => {
    assert.deepEqual(experimentRules.map((r) => r.id), [
      'command-shell', 'launch-limits', 'kafka-split-sum', 'kafka-offsets', 'kafka-partition-duplicate', 'metrics-source-kafka', 'launcher-gpu-ids', 'gpu-count',
      'gpu-type', 'precision-support', 'template-var', 'file-exists', 'k8s-name', 'k8s-pytorchjob', 'k8s-secret-env', 'k8s-quantity',
      'k8s-gpus', 'on-oom-param', 'retry-backoff', 'unknown-target', 'timeout',
    ]);
    assert.deepEqual(targetsRules.map((r) => r.id), [
      'unknown-target', 'k8s-name', 'k8s-secret-env', 'k8s-quantity', 'k8s-gpus', 'timeout', 'k8s-context', 'target-gpus',
    ]);
    for (const r of experimentRules) assert.deepEqual(r.kinds, ['experiment']);
    for (const r of targetsRules) assert.deepEqual(r.kinds, ['targets']);
    // Experiment rules ignore other kinds.
    assert.deepEqual(run(cfg((c) => { c.command = 'python x.py'; }), { kind: 'sweep' }), []);
  });
});

describe('command-shell', () => {
  test('a string command without shell: true is an error with two fixes', () => {
    const r = one(cfg((c) => { c.command = 'python train.py --lr 3'; }), 'command-shell');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['command']);
    assert.equal(r.message, 'command is a string, which runs through a shell only with `shell: true`; '
      + 'write it as an argv list such as [python, train.py] or set shell: true');
    assert.deepEqual(r.fixes, [
      { title: 'Write command as an argv list', edits: [{ path: ['command'], target: 'value', newText: '[python, train.py, --lr, "3"]' }], preferred: true },
      { title: 'Set shell: true', edits: [{ path: [], target: 'insert', newText: 'shell: true' }], preferred: false },
    ]);
  });

  test('placeholders survive the argv fix', () => {
    const r = one(cfg((c) => { c.command = 'python train.py --bs {params.batch_size}'; }), 'command-shell');
    assert.deepEqual(r.fixes?.[0].edits[0].newText, '[python, train.py, --bs, "{params.batch_size}"]');
  });

  test('shell: false is replaced, and shell syntax gets no argv fix', () => {
    const r = one(cfg((c) => { c.command = 'python train.py | tee log'; c.shell = false; }), 'command-shell');
    assert.deepEqual(r.fixes, [{ title: 'Set shell: true', edits: [{ path: ['shell'], target: 'value', newText: 'true' }], preferred: true }]);
  });

  test('a string command with shell: true is fine', () => {
    none(cfg((c) => { c.command = 'python train.py | tee log'; c.shell = true; }), 'command-shell');
  });

  test('a list with shell: true is a warning', () => {
    const r = one(cfg((c) => { c.command = ['python', 'train.py', '--name', 'a b']; c.shell = true; }), 'command-shell');
    assert.equal(r.severity, 'warning');
    assert.deepEqual(r.path, ['command']);
    assert.equal(r.message, 'command is a list but shell: true joins it into one shell command line ("python train.py --name a b"), '
      + 'so quoting inside the items is lost; write command as a single string, or drop shell: true to run the list as argv');
    assert.deepEqual(r.fixes?.map((f) => f.edits), [
      [{ path: ['command'], target: 'value', newText: '"python train.py --name a b"' }],
      [{ path: ['shell'], target: 'value', newText: 'false' }],
    ]);
  });

  test('a list without shell is fine', () => none(base(), 'command-shell'));
});

describe('kafka-split-sum', () => {
  test('rates not summing to 1: error with the sum and a normalising fix', () => {
    const r = one(cfg((c) => { c.data.kafka.split = [0.8, 0.1, 0.2]; }), 'kafka-split-sum');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['data', 'kafka', 'split']);
    assert.equal(r.message, 'data.kafka.split rates [0.8, 0.1, 0.2] sum to 1.1, not 1; the train/validation/test rates must add up to 1 (±1e-6)'
      + ' — normalised they are [0.727273, 0.0909091, 0.1818179]');
    assert.deepEqual(r.fixes, [{
      title: 'Normalise split rates to sum to 1',
      preferred: true,
      edits: [
        { path: ['data', 'kafka', 'split', 0], target: 'value', newText: '0.727273' },
        { path: ['data', 'kafka', 'split', 1], target: 'value', newText: '0.0909091' },
        { path: ['data', 'kafka', 'split', 2], target: 'value', newText: '0.1818179' },
      ],
    }]);
  });

  test('the printed fix values sum to 1 within 1e-9, each with at most 6 significant digits but the last', () => {
    const inputs = [[1, 1, 1], [6, 0.5, 0.5], [0.7, 0.2, 0.2], [3, 7], [1, 2, 3, 4, 5, 6, 7], [0.3333, 0.3333, 0.3333], [5], [0, 1, 1], [1e-9, 1, 1]];
    for (const split of inputs) {
      const r = only(run(cfg((c) => { c.data.kafka.split = split; })), 'kafka-split-sum');
      const sum = split.reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) <= 1e-6) {
        assert.deepEqual(r, [], String(split));
        continue;
      }
      const texts = r[0].fixes![0].edits.map((e) => e.newText);
      assert.equal(texts.length, split.length);
      const printed = texts.map(Number);
      assert.ok(Math.abs(printed.reduce((a, b) => a + b, 0) - 1) <= 1e-9, `${split} → ${texts}`);
      assert.ok(printed.every((p) => p >= 0), `${split} → ${texts}`);
      for (const t of texts.slice(0, -1)) assert.ok(Number(t) === Number(Number(t).toPrecision(6)), t);
    }
  });

  test('within 1e-6 of 1 is accepted', () => {
    none(cfg((c) => { c.data.kafka.split = [0.5, 0.25, 0.2500005]; }), 'kafka-split-sum');
    none(cfg((c) => { c.data.kafka.split = [1]; }), 'kafka-split-sum');
    assert.equal(one(cfg((c) => { c.data.kafka.split = [0.5, 0.25, 0.250002]; }), 'kafka-split-sum').severity, 'error');
  });

  test('negative rates or a zero sum: error without a fix', () => {
    const r = one(cfg((c) => { c.data.kafka.split = [0, 0]; }), 'kafka-split-sum');
    assert.equal(r.message, 'data.kafka.split rates [0, 0] sum to 0, not 1; the train/validation/test rates must add up to 1 (±1e-6); '
      + 'make them non-negative with a positive sum');
    assert.equal(r.fixes, undefined);
    assert.equal(one(cfg((c) => { c.data.kafka.split = [1.5, -0.25]; }), 'kafka-split-sum').fixes, undefined);
  });

  test('non-number items and missing split are left to the schema', () => {
    none(cfg((c) => { c.data.kafka.split = [0.5, '0.2']; }), 'kafka-split-sum');
    none(cfg((c) => { c.data.kafka.split = []; }), 'kafka-split-sum');
    none(cfg((c) => { delete c.data.kafka.split; }), 'kafka-split-sum');
  });

  test('normaliseSplit', () => {
    assert.deepEqual(normaliseSplit([1, 1]), [0.5, 0.5]);
    assert.deepEqual(normaliseSplit([1, 1, 1]), [0.333333, 0.333333, 0.333334]);
    assert.equal(normaliseSplit([]), undefined);
    assert.equal(normaliseSplit([0, 0]), undefined);
    assert.equal(normaliseSplit([-1, 2]), undefined);
  });
});

describe('kafka-offsets', () => {
  test('malformed entries', () => {
    for (const bad of ['0:0', '0:a:10', 'p0:0:10', '0:-1:10', '0:0:10:20', '', '0::10']) {
      const r = one(cfg((c) => { c.data.kafka.offsets = ['1:0:5', bad]; }), 'kafka-offsets');
      assert.equal(r.severity, 'error');
      assert.deepEqual(r.path, ['data', 'kafka', 'offsets', 1]);
      assert.equal(r.message, `Offsets entry ${JSON.stringify(bad)} is not "partition:start:end" with non-negative integers; write it like "0:0:19999" (inclusive offsets)`);
    }
  });

  test('start after end, with a swap fix', () => {
    const r = one(cfg((c) => { c.data.kafka.offsets = ['0:200:100']; }), 'kafka-offsets');
    assert.deepEqual(r.path, ['data', 'kafka', 'offsets', 0]);
    assert.equal(r.message, 'Offsets entry "0:200:100" starts at offset 200, after its end 100; the range is inclusive and needs start ≤ end, e.g. "0:100:200"');
    assert.deepEqual(r.fixes, [{ title: 'Swap start and end: "0:100:200"', edits: [{ path: ['data', 'kafka', 'offsets', 0], target: 'value', newText: '"0:100:200"' }], preferred: true }]);
  });

  test('well-formed entries, start = end, spaces around colons, non-strings skipped', () => {
    none(cfg((c) => { c.data.kafka.offsets = ['0:5:5', ' 1 : 0 : 10 ', 7, null]; }), 'kafka-offsets');
  });
});

describe('kafka-partition-duplicate', () => {
  test('the second occurrence is reported, naming the first', () => {
    const r = one(cfg((c) => { c.data.kafka.offsets = ['0:0:99', '1:0:99', '0:100:199']; }), 'kafka-partition-duplicate');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['data', 'kafka', 'offsets', 2]);
    assert.equal(r.message, 'Partition 0 is listed twice: "0:100:199" here and "0:0:99" at data.kafka.offsets[0]; give each partition one start:end range');
  });

  test('each further repeat is reported; distinct partitions are fine', () => {
    const rs = only(run(cfg((c) => { c.data.kafka.offsets = ['3:0:1', '3:2:3', '3:4:5']; })), 'kafka-partition-duplicate');
    assert.deepEqual(rs.map((r) => r.path[3]), [1, 2]);
    assert.match(rs[1].message, /at data\.kafka\.offsets\[0\]/);
    none(base(), 'kafka-partition-duplicate');
    none(cfg((c) => { c.data.kafka.offsets = ['0:0:1', 'junk', '00:2:3x']; }), 'kafka-partition-duplicate');
  });
});

describe('launcher-gpu-ids', () => {
  const withIds = (ids: unknown, np: number | null = 3) => cfg((c) => {
    c.launcher.gpu_ids = ids;
    if (np === null) delete c.launcher.num_processes;
    else c.launcher.num_processes = np;
  });

  test('count differs from num_processes (string)', () => {
    const r = one(withIds('0,1'), 'launcher-gpu-ids');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['launcher', 'gpu_ids']);
    assert.equal(r.message, 'launcher.gpu_ids "0,1" lists 2 GPUs but launcher.num_processes is 3; accelerate runs one process per GPU, '
      + 'so list 3 GPU ids or set num_processes to 2');
    assert.deepEqual(r.fixes, [{ title: 'Set launcher.num_processes to 2', edits: [{ path: ['launcher', 'num_processes'], target: 'value', newText: '2' }], preferred: true }]);
  });

  test('count differs (array), single GPU wording', () => {
    const r = one(withIds([0], 2), 'launcher-gpu-ids');
    assert.equal(r.message, 'launcher.gpu_ids [0] lists 1 GPU but launcher.num_processes is 2; accelerate runs one process per GPU, '
      + 'so list 2 GPU ids or set num_processes to 1');
  });

  test('duplicates', () => {
    const s = only(run(withIds('0, 1,1')), 'launcher-gpu-ids');
    assert.equal(s.length, 1);
    assert.deepEqual(s[0].path, ['launcher', 'gpu_ids']);
    assert.equal(s[0].message, 'launcher.gpu_ids lists GPU 1 twice ("0, 1,1"); each process needs its own GPU, so list each index once');
    const a = only(run(withIds([2, 0, 2], 3)), 'launcher-gpu-ids');
    assert.equal(a.length, 1);
    assert.deepEqual(a[0].path, ['launcher', 'gpu_ids', 2]);
    assert.equal(a[0].message, 'launcher.gpu_ids lists GPU 2 twice ([2,0,2]); each process needs its own GPU, so list each index once');
  });

  test('malformed string', () => {
    const r = one(withIds('0;1'), 'launcher-gpu-ids');
    assert.equal(r.message, 'launcher.gpu_ids "0;1" is not a list of GPU indices; write "all" or comma-separated indices such as "0,1,2"');
  });

  test('all, matching counts, other launchers, no num_processes', () => {
    none(withIds('all'), 'launcher-gpu-ids');
    none(withIds('ALL'), 'launcher-gpu-ids');
    none(withIds('0,1,2'), 'launcher-gpu-ids');
    none(withIds([0, 1, 2]), 'launcher-gpu-ids');
    none(withIds('0,1', null), 'launcher-gpu-ids');
    none(withIds([0, 'x'], 3), 'launcher-gpu-ids');
    none(cfg((c) => { c.launcher = { type: 'torchrun', nproc_per_node: 3, gpu_ids: '0' }; }), 'launcher-gpu-ids');
  });
});

describe('gpu-count', () => {
  test('more processes than GPUs: error at resources.gpus', () => {
    const r = one(cfg((c) => { c.resources.gpus = 2; }), 'gpu-count');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['resources', 'gpus']);
    assert.equal(r.message, '3 processes need 3 GPUs but resources.gpus is 2 (launcher.num_processes is 3, one process per GPU); '
      + 'set resources.gpus to 3 or launch at most 2 processes');
    assert.deepEqual(r.fixes, [{ title: 'Set resources.gpus to 3', edits: [{ path: ['resources', 'gpus'], target: 'value', newText: '3' }], preferred: true }]);
  });

  test('TYPE:N and torchrun', () => {
    const r = one(cfg((c) => {
      c.launcher = { type: 'torchrun', nproc_per_node: 4 };
      c.resources = { gpus: 'H100:1' };
    }), 'gpu-count');
    assert.equal(r.message, '4 processes need 4 GPUs but resources.gpus is "H100:1" (launcher.nproc_per_node is 4, one process per GPU); '
      + 'set resources.gpus to "H100:4" or launch at most 1 process');
    assert.deepEqual(r.fixes?.[0].edits, [{ path: ['resources', 'gpus'], target: 'value', newText: '"H100:4"' }]);
  });

  test('fewer processes than GPUs: warning', () => {
    const r = one(cfg((c) => { c.resources.gpus = 4; c.launcher.num_processes = 2; }), 'gpu-count');
    assert.equal(r.severity, 'warning');
    assert.deepEqual(r.path, ['resources', 'gpus']);
    assert.equal(r.message, 'resources.gpus is 4 but only 2 processes will use them (launcher.num_processes is 2), so 2 GPUs would sit idle; '
      + 'set launcher.num_processes to 4 or resources.gpus to 2');
    assert.deepEqual(r.fixes?.map((f) => [f.edits, f.preferred]), [
      [[{ path: ['launcher', 'num_processes'], target: 'value', newText: '4' }], true],
      [[{ path: ['resources', 'gpus'], target: 'value', newText: '2' }], false],
    ]);
  });

  test('accelerate num_processes counts all machines', () => {
    none(cfg((c) => { c.launcher.num_processes = 6; c.launcher.num_machines = 2; }), 'gpu-count');
    const r = one(cfg((c) => { c.launcher.num_processes = 8; c.launcher.num_machines = 2; c.resources.gpus = 3; }), 'gpu-count');
    assert.equal(r.message, '4 processes need 4 GPUs but resources.gpus is 3 (launcher.num_processes is 8 over 2 machines, 4 per machine, '
      + 'one process per GPU); set resources.gpus to 4 or launch at most 3 processes');
    const w = one(cfg((c) => { c.launcher.num_processes = 4; c.launcher.num_machines = 2; c.resources.gpus = 3; }), 'gpu-count');
    assert.deepEqual(w.fixes?.[0].edits, [{ path: ['launcher', 'num_processes'], target: 'value', newText: '6' }]);
    none(cfg((c) => { c.launcher.num_processes = 5; c.launcher.num_machines = 2; c.resources.gpus = 1; }), 'gpu-count');
  });

  test('resources.gpus missing with several processes: warning at launcher', () => {
    const r = one(cfg((c) => { delete c.resources.gpus; }), 'gpu-count');
    assert.equal(r.severity, 'warning');
    assert.deepEqual(r.path, ['launcher']);
    assert.equal(r.message, 'launcher.num_processes is 3 but resources.gpus is not set, so no GPUs are reserved for the 3 processes; add resources.gpus: 3');
    assert.deepEqual(r.fixes?.[0].edits, [{ path: ['resources'], target: 'insert', newText: 'gpus: 3' }]);
    const noRes = one(cfg((c) => { delete c.resources; }), 'gpu-count');
    assert.deepEqual(noRes.fixes?.[0].edits, [{ path: [], target: 'insert', newText: 'resources: { gpus: 3 }' }]);
    none(cfg((c) => { delete c.resources.gpus; c.launcher.num_processes = 1; }), 'gpu-count');
  });

  test('gpus: TYPE:N contradicting gpu_type', () => {
    const r = one(cfg((c) => { c.resources = { gpus: 'H100:3', gpu_type: 'A100' }; }), 'gpu-count');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['resources', 'gpu_type']);
    assert.equal(r.message, 'resources.gpus "H100:3" asks for H100 but resources.gpu_type is "A100"; name one GPU type: drop gpu_type or change it to "H100"');
    assert.deepEqual(r.fixes?.[0].edits, [{ path: ['resources', 'gpu_type'], target: 'value', newText: 'H100' }]);
    none(cfg((c) => { c.resources = { gpus: 'A100:3', gpu_type: 'NVIDIA A100-SXM4-80GB' }; }), 'gpu-count');
    none(cfg((c) => { c.resources = { gpus: 'h100:3', gpu_type: 'H100' }; }), 'gpu-count');
  });

  test('matching counts, CPU-only, non-numeric process counts, no launcher', () => {
    none(base(), 'gpu-count');
    none(cfg((c) => { c.resources.gpus = '3'; }), 'gpu-count');
    none(cfg((c) => { c.resources.gpus = 0; }), 'gpu-count');
    none(cfg((c) => { c.launcher = { type: 'torchrun', nproc_per_node: 'gpu' }; c.resources.gpus = 8; }), 'gpu-count');
    none(cfg((c) => { delete c.launcher; c.resources.gpus = 8; }), 'gpu-count');
    none(cfg((c) => { c.launcher = { type: 'none' }; }), 'gpu-count');
  });
});

describe('gpu-type', () => {
  test('unknown gpu_type with a close catalog name', () => {
    const r = one(cfg((c) => { c.resources.gpu_type = 'H10'; c.launcher.mixed_precision = 'fp16'; }), 'gpu-type');
    assert.equal(r.severity, 'warning');
    assert.deepEqual(r.path, ['resources', 'gpu_type']);
    assert.equal(r.message, 'Unknown GPU type "H10" in resources.gpu_type; did you mean H100?');
    assert.deepEqual(r.fixes, [{ title: 'Change to "H100"', edits: [{ path: ['resources', 'gpu_type'], target: 'value', newText: 'H100' }], preferred: true }]);
  });

  test('unknown TYPE in gpus: TYPE:N', () => {
    const r = one(cfg((c) => { c.resources = { gpus: 'L40X:3' }; }), 'gpu-type');
    assert.deepEqual(r.path, ['resources', 'gpus']);
    assert.equal(r.message, 'Unknown GPU type "L40X" in resources.gpus "L40X:3"; did you mean L40 or L40S?');
    assert.deepEqual(r.fixes, [
      { title: 'Change to "L40:3"', edits: [{ path: ['resources', 'gpus'], target: 'value', newText: 'L40:3' }], preferred: true },
      { title: 'Change to "L40S:3"', edits: [{ path: ['resources', 'gpus'], target: 'value', newText: 'L40S:3' }], preferred: false },
    ]);
    assert.match(one(cfg((c) => { c.resources.gpu_type = 'NVIDIA H1000'; }), 'gpu-type').message, /; did you mean H100\?$/);
  });

  test('nothing close: no fix', () => {
    const r = one(cfg((c) => { c.resources.gpu_type = 'TPU-v4'; }), 'gpu-type');
    assert.equal(r.message, 'Unknown GPU type "TPU-v4" in resources.gpu_type; expected a model such as A100, H100, L40S, T4 or MI300X '
      + '(completion lists them all); check the spelling, or ignore this if your cluster names GPUs its own way');
    assert.equal(r.fixes, undefined);
  });

  test('catalog names in any spelling are fine', () => {
    for (const t of ['H100', 'h100', 'NVIDIA H100 80GB HBM3', 'A100-80GB', 'Tesla V100-SXM2-16GB', 'mi300x']) {
      none(cfg((c) => { c.resources.gpu_type = t; c.resources.gpus = `${t}:3`; c.launcher.mixed_precision = 'fp16'; }), 'gpu-type');
    }
  });
});

describe('precision-support', () => {
  test('bf16 on a GPU without bf16', () => {
    const r = one(cfg((c) => { c.resources.gpu_type = 'V100'; }), 'precision-support');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['launcher', 'mixed_precision']);
    assert.equal(r.message, 'mixed_precision "bf16" needs bfloat16 support, which V100 (Volta, compute capability 7.0) from resources.gpu_type does not have '
      + '(bf16 needs NVIDIA Ampere / compute capability 8.0 or newer, or AMD CDNA 2+); use "fp16"');
    assert.deepEqual(r.fixes, [{ title: 'Use fp16', edits: [{ path: ['launcher', 'mixed_precision'], target: 'value', newText: 'fp16' }], preferred: true }]);
  });

  test('type from gpus: TYPE:N, nvidia-smi spelling', () => {
    const r = one(cfg((c) => { c.resources = { gpus: 'Tesla T4:3' }; }), 'precision-support');
    assert.match(r.message, /^mixed_precision "bf16" needs bfloat16 support, which T4 \(Turing, compute capability 7\.5\) from resources\.gpus does not have/);
  });

  test('fp8 without fp8 support: fp16, and bf16 where supported', () => {
    const a = one(cfg((c) => { c.resources.gpu_type = 'A100'; c.launcher.mixed_precision = 'fp8'; }), 'precision-support');
    assert.equal(a.message, 'mixed_precision "fp8" needs FP8 tensor cores, which A100 (Ampere, compute capability 8.0) from resources.gpu_type does not have '
      + '(fp8 needs NVIDIA Ada / Hopper / Blackwell, compute capability 8.9 or newer, or AMD MI300X); use "fp16", or "bf16" which A100 supports');
    assert.deepEqual(a.fixes?.map((f) => [f.edits[0].newText, f.preferred]), [['fp16', false], ['bf16', true]]);
    const t = one(cfg((c) => { c.resources.gpu_type = 'T4'; c.launcher.mixed_precision = 'fp8'; }), 'precision-support');
    assert.match(t.message, /T4 \(Turing, compute capability 7\.5\).*; use "fp16"$/);
    assert.deepEqual(t.fixes?.map((f) => f.edits[0].newText), ['fp16']);
    const m = one(cfg((c) => { c.resources.gpu_type = 'MI250X'; c.launcher.mixed_precision = 'fp8'; }), 'precision-support');
    assert.match(m.message, /MI250X \(CDNA 2, gfx90a\)/);
  });

  test('supported combinations and unknown GPUs are fine', () => {
    for (const [gpu, mp] of [['H100', 'fp8'], ['L4', 'fp8'], ['MI300X', 'fp8'], ['A100', 'bf16'], ['V100', 'fp16'], ['V100', 'no'], ['Mystery', 'bf16']]) {
      none(cfg((c) => { c.resources.gpu_type = gpu; c.launcher.mixed_precision = mp; }), 'precision-support');
    }
    none(cfg((c) => { delete c.resources.gpu_type; c.resources.gpus = 3; }), 'precision-support');
  });
});

describe('template-var', () => {
  test('unknown variable in a command item, with a close match and fix', () => {
    const r = one(cfg((c) => { c.command[3] = '{params.batchsize}'; }), 'template-var');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['command', 3]);
    assert.equal(r.message, 'Unknown template variable {params.batchsize} in command[3]; did you mean {params.batch_size}?; '
      + 'use a dotted path of this experiment (such as {params.NAME}, {resources.gpus} or {name}) or a run variable '
      + '({run_id}, {run_dir}, {trial}, {repeat}, {index}, {attempt}, {metrics_file}, {params_file}, {port}, {env.NAME}); write {{ and }} for literal braces');
    assert.deepEqual(r.fixes, [{ title: 'Change to {params.batch_size}', edits: [{ path: ['command', 3], target: 'value', newText: '"{params.batch_size}"' }], preferred: true }]);
  });

  test('a bare parameter name suggests its params. path; several close matches are listed', () => {
    const r = one(cfg((c) => { c.command.push('--bs={batch_size}'); }), 'template-var');
    assert.match(r.message, /^Unknown template variable \{batch_size\} in command\[6\]; did you mean \{params\.batch_size\}\?;/);
    assert.deepEqual(r.fixes?.[0].edits[0].newText, '"--bs={params.batch_size}"');
    const m = one(cfg((c) => { c.params.lr1 = 1; c.params.lr2 = 2; c.command.push('{params.lr3}'); }), 'template-var');
    assert.match(m.message, /did you mean \{params\.lr1\} or \{params\.lr2\}\?/);
    assert.deepEqual(m.fixes?.map((f) => f.preferred), [true, false]);
  });

  test('no close match: no fix', () => {
    const r = one(cfg((c) => { c.command.push('{completely_unrelated_thing}'); }), 'template-var');
    assert.match(r.message, /^Unknown template variable \{completely_unrelated_thing\} in command\[6\]; use a dotted path/);
    assert.equal(r.fixes, undefined);
  });

  test('string command and env values', () => {
    const s = one(cfg((c) => { c.command = 'python train.py --n {params.num_epoch}'; c.shell = true; }), 'template-var');
    assert.deepEqual(s.path, ['command']);
    assert.match(s.message, /^Unknown template variable \{params\.num_epoch\} in command; did you mean \{params\.num_epochs\}\?/);
    assert.deepEqual(s.fixes?.[0].edits[0].newText, '"python train.py --n {params.num_epochs}"');
    const e = one(cfg((c) => { c.env.DIR = '{run_dri}/x'; }), 'template-var');
    assert.deepEqual(e.path, ['env', 'DIR']);
    assert.match(e.message, /^Unknown template variable \{run_dri\} in env\.DIR; did you mean \{run_dir\}\?/);
  });

  test('two unknown variables in one item: two reports', () => {
    const rs = only(run(cfg((c) => { c.command.push('{foo}-{bar}'); })), 'template-var');
    assert.deepEqual(rs.map((r) => r.message.split(';')[0]), ['Unknown template variable {foo} in command[6]', 'Unknown template variable {bar} in command[6]']);
  });

  test('known variables, literal braces, shell ${VAR}, inherited config paths', () => {
    none(cfg((c) => {
      c.command.push('{name}', '{resources.gpus}', '{params.optimizer.lr}', '{data.kafka.topic}', '{{literal}}', '{run_id}', '{attempt}',
        '{index}', '{repeat}', '{metrics_file}', '{params_file}', '{env.ANYTHING}', '{launcher.num_processes}', '{params}');
      c.env.P = '${HOME}/x';
    }), 'template-var');
    // Prototype properties are not config paths.
    assert.equal(only(run(cfg((c) => { c.command.push('{constructor}', '{params.toString}'); })), 'template-var').length, 2);
  });
});

describe('file-exists', () => {
  const files = { [`${DIR}/train.py`]: '', [`${DIR}/src/run.sh`]: '', '/abs/tool.py': '' };
  const withCmd = (command: unknown, extra: (c: Cfg) => void = () => {}) => cfg((c) => { c.command = command; extra(c); });

  test('missing script: error at its argv index', () => {
    const r = one(withCmd(['python', '-u', 'trian.py', '--x']), 'file-exists', { files });
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['command', 2]);
    assert.equal(r.message, 'Script "trian.py" not found (looked in /proj/exp); fix the path, or set workdir to the folder that contains it');
  });

  test('workdir is searched first, then the file folder', () => {
    none(withCmd(['bash', 'run.sh'], (c) => { c.workdir = 'src'; }), 'file-exists', { files });
    none(withCmd(['python', 'train.py'], (c) => { c.workdir = 'src'; }), 'file-exists', { files });
    const r = one(withCmd(['python', 'missing.py'], (c) => { c.workdir = '../work'; }), 'file-exists', { files });
    assert.equal(r.message, 'Script "missing.py" not found (looked in /proj/work, /proj/exp); fix the path, or set workdir to the folder that contains it');
    const abs = one(withCmd(['python', 'x.py'], (c) => { c.workdir = '/data/w'; }), 'file-exists', { files });
    assert.match(abs.message, /\(looked in \/data\/w, \/proj\/exp\)/);
  });

  test('launchers, interpreters, scripts run directly, absolute paths, string commands', () => {
    none(withCmd(['accelerate', 'launch', '--num_processes', '2', 'train.py']), 'file-exists', { files });
    none(withCmd(['torchrun', '--nproc_per_node=4', 'train.py']), 'file-exists', { files });
    none(withCmd(['python', '-m', 'torch.distributed.run', '--nproc_per_node', '2', 'train.py']), 'file-exists', { files });
    none(withCmd(['python', '/abs/tool.py']), 'file-exists', { files });
    none(withCmd(['src/run.sh', '--fast']), 'file-exists', { files });
    none(withCmd('python train.py --epochs 2', (c) => { c.shell = true; }), 'file-exists', { files });
    assert.deepEqual(one(withCmd(['./go.sh']), 'file-exists', { files }).path, ['command', 0]);
    assert.deepEqual(one(withCmd(['node', 'dist/x.js']), 'file-exists', { files }).path, ['command', 1]);
    const s = one(withCmd('python "nope.py" > out.log', (c) => { c.shell = true; }), 'file-exists', { files });
    assert.deepEqual(s.path, ['command']);
    assert.match(s.message, /^Script "nope\.py" not found/);
    const a = one(withCmd(['python', '/abs/none.py']), 'file-exists', { files });
    assert.match(a.message, /^Script "\/abs\/none\.py" not found \(looked in \/abs\)/);
  });

  test('skipped: templates, inline code, modules, options, variables, checkFiles off', () => {
    for (const command of [
      ['python', '{params.script}.py'], ['python', '-c', 'import x; print("a.py")'], ['python', '-m', 'pkg.main'],
      ['bash', '-lc', 'python nope.py'], ['python', '--config=conf.py'], ['python', '$SCRIPT.py'], ['python', '~/x.py'],
      ['make', 'train'], ['python', 'http://example.com/x.py'],
    ]) {
      none(withCmd(command), 'file-exists', { files });
    }
    none(withCmd('cd src && python nope.py', (c) => { c.shell = true; }), 'file-exists', { files });
    none(withCmd(['python', 'nope.py'], (c) => { c.workdir = '{run_dir}'; }), 'file-exists', { files });
    none(withCmd(['python', 'nope.py']), 'file-exists', { files, checkFiles: false });
  });
});

describe('k8s-name', () => {
  test('invalid experiment name: error with a sanitised fix', () => {
    const r = one(cfg((c) => { c.name = 'MNIST_Kafka Run'; c.kubernetes.kind = 'Job'; c.kubernetes.workers = 1; }), 'k8s-name');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['name']);
    assert.equal(r.message, 'name "MNIST_Kafka Run" is not a valid Kubernetes object name, and the Job name derives from it: '
      + "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (DNS-1123 subdomain, at most 253 characters), "
      + 'e.g. "mnist-kafka-run"');
    assert.deepEqual(r.fixes, [{ title: 'Rename to "mnist-kafka-run"', edits: [{ path: ['name'], target: 'value', newText: 'mnist-kafka-run' }], preferred: true }]);
  });

  test('PyTorchJob names must be DNS-1035 labels', () => {
    const r = one(cfg((c) => { c.name = 'mnist.v2'; }), 'k8s-name');
    assert.equal(r.message, 'name "mnist.v2" cannot name a PyTorchJob: the Kubeflow training operator requires a DNS-1035 label '
      + "(lowercase letters, digits and '-', starting with a letter, no '.'), e.g. \"mnist-v2\"");
    assert.equal(one(cfg((c) => { c.name = '3d-unet'; }), 'k8s-name').fixes?.[0].edits[0].newText, 'x-3d-unet');
    none(cfg((c) => { c.name = 'mnist.v2'; c.kubernetes.kind = 'Job'; c.kubernetes.workers = 1; }), 'k8s-name');
    none(cfg((c) => { c.name = '3d-unet'; delete c.kubernetes.kind; }), 'k8s-name');
  });

  test('long names: warning over 52, error over 253', () => {
    const long = `a${'-b'.repeat(30)}`; // 61 characters
    const w = one(cfg((c) => { c.name = long; }), 'k8s-name');
    assert.equal(w.severity, 'warning');
    assert.equal(w.message, `name "${long}" is 61 characters; the Job name derives from it and gets a suffix, and pod names are capped at 63, `
      + `so keep it to 52 characters or fewer, e.g. "${long.slice(0, 51)}"`);
    none(cfg((c) => { c.name = 'a'.repeat(52); }), 'k8s-name');
    const e = one(cfg((c) => { c.name = 'a'.repeat(254); c.kubernetes.kind = 'Job'; c.kubernetes.workers = 1; }), 'k8s-name');
    assert.equal(e.severity, 'error');
    assert.equal(e.fixes?.[0].edits[0].newText, 'a'.repeat(52));
  });

  test('namespace, volume names, label keys and values', () => {
    const ns = one(cfg((c) => { c.kubernetes.namespace = 'ML_Team'; }), 'k8s-name');
    assert.deepEqual(ns.path, ['kubernetes', 'namespace']);
    assert.equal(ns.message, 'kubernetes.namespace "ML_Team" is not a valid Kubernetes namespace: use at most 63 lowercase letters, digits and \'-\', '
      + 'starting and ending with a letter or digit (DNS-1123 label), e.g. "ml-team"');
    assert.deepEqual(ns.fixes?.[0].edits, [{ path: ['kubernetes', 'namespace'], target: 'value', newText: 'ml-team' }]);
    assert.equal(one(cfg((c) => { c.kubernetes.namespace = 'a.b'; }), 'k8s-name').fixes?.[0].edits[0].newText, 'a-b');
    assert.equal(one(cfg((c) => { c.kubernetes.namespace = 'x'.repeat(64); }), 'k8s-name').severity, 'error');

    const vol = one(cfg((c) => { c.kubernetes.volumes = [{ name: 'ok' }, { name: 'Data_Vol' }]; }), 'k8s-name');
    assert.deepEqual(vol.path, ['kubernetes', 'volumes', 1, 'name']);
    assert.equal(vol.message, 'Volume name "Data_Vol" is not a valid Kubernetes volume name: use at most 63 lowercase letters, digits and \'-\', '
      + 'starting and ending with a letter or digit (DNS-1123 label), e.g. "data-vol"');

    const key = one(cfg((c) => { c.kubernetes.labels = { 'bad key!': 'x' }; }), 'k8s-name');
    assert.deepEqual(key.path, ['kubernetes', 'labels', 'bad key!']);
    assert.equal(key.target, 'key');
    assert.equal(key.message, 'kubernetes.labels key "bad key!" is not a valid Kubernetes label key: its name part must use only letters, digits, '
      + '\'-\', \'_\' and \'.\', and start and end with a letter or digit; a key is an optional DNS-subdomain prefix and "/", then a name of at most 63 characters, e.g. "example.com/gpu-pool"');
    assert.match(one(cfg((c) => { c.kubernetes.node_selector = { 'Example.com/x': 'y' }; }), 'k8s-name').message,
      /^kubernetes\.node_selector key "Example\.com\/x" is not a valid Kubernetes label key: its prefix "Example\.com" must be a DNS subdomain/);
    assert.match(one(cfg((c) => { c.kubernetes.labels = { 'a/b/c': 'y' }; }), 'k8s-name').message, /it has more than one "\/"/);
    assert.match(one(cfg((c) => { c.kubernetes.labels = { [`x/${'n'.repeat(64)}`]: 'y' }; }), 'k8s-name').message, /its name part is 64 characters, more than 63/);
    assert.match(one(cfg((c) => { c.kubernetes.annotations = { '/x': 'anything at all' }; }), 'k8s-name').message, /annotation key/);

    const val = one(cfg((c) => { c.kubernetes.labels = { team: 'ML team' }; }), 'k8s-name');
    assert.deepEqual(val.path, ['kubernetes', 'labels', 'team']);
    assert.equal(val.target, undefined);
    assert.equal(val.message, 'kubernetes.labels.team value "ML team" is not a valid Kubernetes label value: '
      + "it must use only letters, digits, '-', '_' and '.', and start and end with a letter or digit");
    assert.match(one(cfg((c) => { c.kubernetes.node_selector = { pool: 'v'.repeat(64) }; }), 'k8s-name').message, /it is 64 characters, more than 63/);
    none(cfg((c) => { c.kubernetes.labels = { empty: '', 'a.b_c-d': 'V1.2_x' }; c.kubernetes.annotations = { note: 'free text: ok' }; }), 'k8s-name');
  });

  test('service account and image pull secrets', () => {
    assert.deepEqual(one(cfg((c) => { c.kubernetes.service_account = 'Trainer'; }), 'k8s-name').path, ['kubernetes', 'service_account']);
    assert.deepEqual(one(cfg((c) => { c.kubernetes.image_pull_secrets = ['ok', 'Bad_Secret']; }), 'k8s-name').path, ['kubernetes', 'image_pull_secrets', 1]);
  });

  test('no kubernetes section: names are not checked', () => {
    none(cfg((c) => { c.name = 'Not A K8s Name'; delete c.kubernetes; }), 'k8s-name');
  });

  test('sanitizeK8sName', () => {
    assert.equal(sanitizeK8sName('--A..B__c--', { dots: true, max: 63 }), 'a.b-c');
    assert.equal(sanitizeK8sName('--A..B__c--', { dots: false, max: 63 }), 'a-b-c');
    assert.equal(sanitizeK8sName('___', { dots: false, max: 63 }), undefined);
    assert.equal(sanitizeK8sName('ab-cd', { dots: false, max: 3 }), 'ab');
  });
});

describe('k8s-pytorchjob', () => {
  test('PyTorchJob with no workers', () => {
    const r = one(cfg((c) => { c.kubernetes.workers = 0; }), 'k8s-pytorchjob');
    assert.equal(r.severity, 'warning');
    assert.deepEqual(r.path, ['kubernetes', 'workers']);
    assert.equal(r.message, 'kind: PyTorchJob with kubernetes.workers 0 starts no worker pods, only the master; '
      + 'set workers to 1 or more for multi-node training, or use kind: Job for a single pod');
    assert.deepEqual(r.fixes?.[0].edits, [{ path: ['kubernetes', 'kind'], target: 'value', newText: 'Job' }]);
  });

  test('Job with several workers', () => {
    const r = one(cfg((c) => { c.kubernetes.kind = 'Job'; c.kubernetes.workers = 4; }), 'k8s-pytorchjob');
    assert.equal(r.severity, 'warning');
    assert.equal(r.message, 'kubernetes.workers is 4 but a batch/v1 Job runs a single pod; use kind: PyTorchJob for multi-node');
    assert.deepEqual(r.fixes?.[0].edits, [{ path: ['kubernetes', 'kind'], target: 'value', newText: 'PyTorchJob' }]);
  });

  test('consistent kinds', () => {
    none(base(), 'k8s-pytorchjob');
    none(cfg((c) => { c.kubernetes.kind = 'Job'; c.kubernetes.workers = 1; }), 'k8s-pytorchjob');
    none(cfg((c) => { delete c.kubernetes.kind; c.kubernetes.workers = 4; }), 'k8s-pytorchjob');
    none(cfg((c) => { delete c.kubernetes.workers; }), 'k8s-pytorchjob');
  });
});

describe('metrics-source-kafka', () => {
  test('kafka in metrics.sources without metrics.kafka is an error on that item, naming what to add', () => {
    const r = one(cfg((c) => { c.metrics = { primary: 'loss', sources: ['stdout', 'kafka'] }; }), 'metrics-source-kafka');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['metrics', 'sources', 1]);
    assert.match(r.message, /^metrics\.sources lists kafka but metrics\.kafka is missing: add metrics\.kafka: \{ topic: TOPIC, bootstrap_servers: \[host:port\] \}/);
  });

  test('kafka with metrics.kafka is fine', () => {
    none(cfg((c) => { c.metrics = { sources: ['kafka'], kafka: { topic: 'm', bootstrap_servers: ['b:9092'] } }; }), 'metrics-source-kafka');
  });

  test('stdout and file, and no sources at all, are fine', () => {
    none(cfg((c) => { c.metrics = { sources: ['stdout', 'file'] }; }), 'metrics-source-kafka');
    none(cfg((c) => { c.metrics = { primary: 'loss' }; }), 'metrics-source-kafka');
    none(cfg((c) => { c.metrics = { sources: 'kafka' }; }), 'metrics-source-kafka'); // not a list: the schema says so
  });
});

describe('on-oom-param', () => {
  test('missing path with a close numeric match', () => {
    const r = one(cfg((c) => { c.on_oom.param = 'params.batchsize'; }), 'on-oom-param');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['on_oom', 'param']);
    assert.equal(r.message, 'on_oom.param "params.batchsize" does not name a value in this experiment; it must be the dotted path of a numeric parameter '
      + 'that the runner scales after an out-of-memory failure, such as "params.batch_size"; did you mean "params.batch_size"?');
    assert.deepEqual(r.fixes, [{ title: 'Change to "params.batch_size"', edits: [{ path: ['on_oom', 'param'], target: 'value', newText: 'params.batch_size' }], preferred: true }]);
    assert.match(one(cfg((c) => { c.on_oom.param = 'batch_size'; }), 'on-oom-param').message, /did you mean "params\.batch_size"\?$/);
  });

  test('non-numeric value lists numeric parameters', () => {
    const r = one(cfg((c) => { c.on_oom.param = 'params.data_format'; }), 'on-oom-param');
    assert.equal(r.message, 'on_oom.param "params.data_format" is "avro", not a number; the runner multiplies it by on_oom.factor after an out-of-memory failure, '
      + 'so it must name a numeric parameter; numeric parameters here: params.batch_size, params.num_epochs, params.optimizer.lr');
    assert.equal(r.fixes, undefined);
    assert.match(one(cfg((c) => { c.on_oom.param = 'params.optimizer'; }), 'on-oom-param').message, /is \{"lr":0\.001\}, not a number/);
    assert.match(one(cfg((c) => { c.on_oom.param = ''; }), 'on-oom-param').message, /^on_oom\.param "" does not name a value/);
  });

  test('numeric parameters anywhere are fine', () => {
    none(base(), 'on-oom-param');
    none(cfg((c) => { c.on_oom.param = 'params.optimizer.lr'; }), 'on-oom-param');
    none(cfg((c) => { c.on_oom.param = 'resources.cpus'; c.resources.cpus = 8; }), 'on-oom-param');
    // A value fixed for the run (its GPUs are reserved once) would be recorded without effect: said.
    assert.equal(one(cfg((c) => { c.on_oom.param = 'resources.gpus'; }), 'on-oom-param').severity, 'warning');
    none(cfg((c) => { delete c.on_oom; }), 'on-oom-param');
  });
});

describe('retry-backoff', () => {
  test('exponential backoff beyond the cap: information', () => {
    const r = one(cfg((c) => { c.retry = { max_retries: 10, backoff_base_s: 2, on: ['oom'] }; }), 'retry-backoff');
    assert.equal(r.severity, 'information');
    assert.deepEqual(r.path, ['retry', 'backoff_base_s']);
    assert.equal(r.message, 'Retry backoff reaches backoff_initial_s × backoff_base_s^(max_retries-1) = 1 × 2^9 = 512 s before the last retry, '
      + 'above max_backoff_s 300 (the default), so the cap applies and the longest waits are 300 s; raise retry.max_backoff_s if you want longer waits, '
      + 'or lower backoff_initial_s, backoff_base_s or max_retries');
    const explicit = one(cfg((c) => { c.retry = { max_retries: 4, backoff_base_s: 5, max_backoff_s: 60, on: ['oom'] }; }), 'retry-backoff');
    assert.match(explicit.message, /= 1 × 5\^3 = 125 s before the last retry, above max_backoff_s 60, so the cap applies and the longest waits are 60 s;/);
    none(cfg((c) => { c.retry = { max_retries: 8, backoff_base_s: 2, on: ['oom'] }; }), 'retry-backoff'); // 128 ≤ 300
    none(cfg((c) => { c.retry = { max_retries: 10, backoff_base_s: 2, max_backoff_s: 1024, on: ['oom'] }; }), 'retry-backoff');
  });

  test('retries with nothing to retry on: warning', () => {
    const r = one(cfg((c) => { c.retry.on = []; }), 'retry-backoff');
    assert.equal(r.severity, 'warning');
    assert.deepEqual(r.path, ['retry', 'on']);
    assert.equal(r.message, 'retry.max_retries is 3 but retry.on is empty, so no failure is ever retried; '
      + 'list the failure classes (oom, timeout, nonzero, signal, evicted) or exit codes to retry on, e.g. [oom, timeout, nonzero]');
    assert.deepEqual(r.fixes?.[0].edits, [{ path: ['retry', 'on'], target: 'value', newText: '[oom, timeout, nonzero]' }]);
    none(cfg((c) => { c.retry = { max_retries: 0, on: [] }; }), 'retry-backoff');
    none(cfg((c) => { delete c.retry.on; }), 'retry-backoff');
  });
});

describe('unknown-target (experiment)', () => {
  test('a target missing from targets.yaml: error listing known targets, with a fix', () => {
    const r = one(cfg((c) => { c.target = 'gpu-clustr'; }), 'unknown-target');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['target']);
    assert.equal(r.message, 'target "gpu-clustr" is not defined in targets.yaml; known targets: local, gpu-cluster, box. Did you mean "gpu-cluster"?');
    assert.deepEqual(r.fixes, [{ title: 'Change to "gpu-cluster"', edits: [{ path: ['target'], target: 'value', newText: 'gpu-cluster' }], preferred: true }]);
    const far = one(cfg((c) => { c.target = 'somewhere-else'; }), 'unknown-target');
    assert.equal(far.message, 'target "somewhere-else" is not defined in targets.yaml; known targets: local, gpu-cluster, box. '
      + 'Define "somewhere-else" under targets: or pick a known one');
    assert.equal(far.fixes, undefined);
    assert.equal(one(cfg((c) => { c.target = 'BOX'; }), 'unknown-target').fixes?.[0].edits[0].newText, 'box');
  });

  test('no targets.yaml: warning', () => {
    const r = one(base(), 'unknown-target', { targets: null });
    assert.equal(r.severity, 'warning');
    assert.equal(r.message, 'target "gpu-cluster" is set but no targets.yaml found next to this file or above; create one that defines "gpu-cluster", or use target: local');
  });

  test('local and known targets are fine; a broken targets file lists only local', () => {
    none(base(), 'unknown-target');
    none(cfg((c) => { c.target = 'local'; }), 'unknown-target', { targets: null });
    none(cfg((c) => { delete c.target; }), 'unknown-target', { targets: null });
    assert.match(one(base(), 'unknown-target', { targets: { targets: 5 } as unknown as TargetsFile }).message, /known targets: local\./);
  });
});

describe('timeout', () => {
  test('not a duration: error, with a fix when the intent is clear', () => {
    const r = one(cfg((c) => { c.timeout = '2 hours'; }), 'timeout');
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['timeout']);
    assert.equal(r.message, 'timeout "2 hours" is not a duration; write seconds (7200) or a duration such as 90s, 15m, 2h or 1h30m, e.g. 2h');
    assert.deepEqual(r.fixes?.[0].edits, [{ path: ['timeout'], target: 'value', newText: '2h' }]);
    assert.equal(one(cfg((c) => { c.timeout = '1hr 30mins'; }), 'timeout').fixes?.[0].edits[0].newText, '1h30m');
    const odd = one(cfg((c) => { c.timeout = 'forever'; }), 'timeout');
    assert.equal(odd.message, 'timeout "forever" is not a duration; write seconds (7200) or a duration such as 90s, 15m, 2h or 1h30m');
    assert.equal(odd.fixes, undefined);
  });

  test('zero or negative: error', () => {
    for (const t of [0, -5, '0s', '0']) {
      const r = one(cfg((c) => { c.timeout = t; }), 'timeout');
      assert.equal(r.message, `timeout ${typeof t === 'string' ? JSON.stringify(t) : t} must be positive; give the longest a run may take, such as 2h, or remove timeout for no limit`);
    }
  });

  test('durations and seconds are fine', () => {
    for (const t of ['90s', '1h30m', '500ms', 3600, '3600', '1d']) none(cfg((c) => { c.timeout = t; }), 'timeout');
    none(cfg((c) => { delete c.timeout; }), 'timeout');
    none(cfg((c) => { c.timeout = true; }), 'timeout'); // the schema reports the type
  });
});

// ---------------------------------------------------------------------------------------------

describe('targets rules', () => {
  const targets = (t: Record<string, unknown>, def?: unknown) => ({ ...(def === undefined ? {} : { default: def }), targets: t });
  const T = { kind: 'targets' as const };

  test('unknown-target: default names a missing target', () => {
    const r = one(targets({ 'gpu-box': { type: 'local' } }, 'gpu-bx'), 'unknown-target', T);
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['default']);
    assert.equal(r.message, 'default target "gpu-bx" is not defined in this file; known targets: local, gpu-box. Did you mean "gpu-box"?');
    assert.deepEqual(r.fixes?.[0].edits, [{ path: ['default'], target: 'value', newText: 'gpu-box' }]);
    none(targets({ 'gpu-box': { type: 'local' } }, 'gpu-box'), 'unknown-target', T);
    none(targets({ 'gpu-box': { type: 'local' } }, 'local'), 'unknown-target', T);
    none(targets({ 'gpu-box': { type: 'local' } }), 'unknown-target', T);
  });

  test('k8s-name: kubernetes target namespace and defaults', () => {
    const r = one(targets({ cluster: { type: 'kubernetes', namespace: 'Team A' } }), 'k8s-name', T);
    assert.equal(r.severity, 'error');
    assert.deepEqual(r.path, ['targets', 'cluster', 'namespace']);
    assert.equal(r.message, 'targets.cluster.namespace "Team A" is not a valid Kubernetes namespace: use at most 63 lowercase letters, digits and \'-\', '
      + 'starting and ending with a letter or digit (DNS-1123 label), e.g. "team-a"');
    assert.deepEqual(r.fixes?.[0].edits, [{ path: ['targets', 'cluster', 'namespace'], target: 'value', newText: 'team-a' }]);
    const d = one(targets({ cluster: { type: 'kubernetes', defaults: { kubernetes: { namespace: 'x_y', labels: { ok: 'v' } } } } }), 'k8s-name', T);
    assert.deepEqual(d.path, ['targets', 'cluster', 'defaults', 'kubernetes', 'namespace']);
    assert.match(d.message, /^targets\.cluster\.defaults\.kubernetes\.namespace "x_y" is not a valid Kubernetes namespace/);
    none(targets({ box: { type: 'local', namespace: 'Not Checked' }, cluster: { type: 'kubernetes', namespace: 'ml-team' } }), 'k8s-name', T);
  });

  test('target-gpus: duplicate indices in a local target', () => {
    const rs = only(run(targets({ box: { type: 'local', gpus: [0, { index: 1, name: 'A100' }, 2, { index: 0 }, 1] } }), T), 'target-gpus');
    assert.equal(rs.length, 2);
    assert.equal(rs[0].severity, 'error');
    assert.deepEqual(rs[0].path, ['targets', 'box', 'gpus', 3]);
    assert.equal(rs[0].message, 'GPU index 0 is listed twice in target "box" (gpus[0] and gpus[3]); the runner hands each GPU to one run at a time, so list each index once');
    assert.deepEqual(rs[1].path, ['targets', 'box', 'gpus', 4]);
    none(targets({ box: { type: 'local', gpus: [0, 1, { index: 2 }] }, other: { type: 'local', gpus: [0, 1] } }), 'target-gpus', T);
    none(targets({ box: { type: 'local', gpus: 'none' } }), 'target-gpus', T);
    none(targets({ k: { type: 'kubernetes', gpus: [0, 0] } }), 'target-gpus', T);
  });
});

// ---------------------------------------------------------------------------------------------
// Robustness: the config can be schema-invalid anywhere; no rule may throw.

const WEIRD: unknown[] = [
  null, undefined, true, 0, -1, 1.5, NaN, Infinity, -Infinity, 1e308, '', ' ', 'x', '{', '}', '{x}', '{{', ':', '0:0:0',
  '::', 'H100:', ':3', 'all', '__proto__', 'constructor', [], [null], [{}], [[]], ['{x}'], [1, 'a', null], {}, { a: null },
  { 0: 1 }, Object.create(null), { toString: 5 }, 'a'.repeat(10_000), [1e308, 1e308],
];

const MALFORMED: unknown[] = [
  null, undefined, 42, 'a string', true, [], [1, 2], [{ name: 'x' }], {}, Object.create(null),
  { command: null, launcher: null, resources: null, data: null, kubernetes: null, retry: null, on_oom: null, env: null },
  { command: 42, shell: 'yes' },
  { command: [null, 1, {}, []], shell: true },
  { command: { 0: 'python' } },
  { launcher: 'accelerate' },
  { launcher: { type: 'accelerate', num_processes: '3', gpu_ids: 3, mixed_precision: 7 } },
  { launcher: { type: 'accelerate', num_processes: 1e308, gpu_ids: [1.5, -1, 'x'] }, resources: { gpus: 1e308 } },
  { launcher: { type: 'torchrun', nproc_per_node: [] }, resources: { gpus: [] } },
  { resources: 'H100:3' },
  { resources: { gpus: 'H100:x', gpu_type: 42 } },
  { resources: { gpus: ':', gpu_type: ['H100'] }, launcher: { mixed_precision: 'bf16' } },
  { data: 'kafka' },
  { data: { kafka: [] } },
  { data: { kafka: { split: 'a,b', offsets: 'x' } } },
  { data: { kafka: { split: [null, 'x', {}], offsets: [null, 1, [], {}] } } },
  { data: { kafka: { split: [NaN, Infinity], offsets: ['99999999999999999999:0:1'] } } },
  { kubernetes: 'yes', name: 'X' },
  { kubernetes: [], name: ['x'] },
  { kubernetes: { namespace: 5, volumes: 'x', labels: [], node_selector: 'a=b', annotations: null, kind: 5, workers: 'two' }, name: {} },
  { kubernetes: { volumes: [null, 1, { name: 5 }, []], labels: { a: null, b: 5, c: {} }, image_pull_secrets: 'x' }, name: 'ok' },
  { on_oom: 'params.x' },
  { on_oom: { param: 5 } },
  { on_oom: { param: '...' }, params: null },
  { retry: [], timeout: null },
  { retry: { max_retries: 'x', backoff_base_s: [], on: 'oom' } },
  { retry: { max_retries: 1000, backoff_base_s: 1e10, max_backoff_s: 'x', on: [] } },
  { target: 5, timeout: {} },
  { target: ['x'], timeout: [] },
  { env: [], workdir: 5, command: ['python', 'x.py'] },
  { env: { A: 5, B: null, C: '{nope}' }, workdir: null, command: 'python x.py {y}' },
];

const MALFORMED_TARGETS: unknown[] = [
  null, 5, 'x', [], {}, { targets: null }, { targets: [] }, { targets: 'x' }, { default: 5, targets: {} },
  { default: 'x', targets: { a: null, b: 5, c: [] } },
  { targets: { a: { type: 'local', gpus: 'x' }, b: { type: 'local', gpus: [null, {}, { index: 'x' }, 1.5, [], 1.5] } } },
  { targets: { k: { type: 'kubernetes', namespace: [], defaults: 5 } } },
  { targets: { k: { type: 'kubernetes', defaults: { kubernetes: [] } } } },
  { targets: { k: { type: 'kubernetes', defaults: { kubernetes: { labels: 'x', volumes: [null] } } } } },
];

function show(v: unknown): string {
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 40);
  } catch {
    return typeof v;
  }
}

function assertSane(reports: Report[], label: string): void {
  for (const r of reports) {
    assert.ok(['error', 'warning', 'information', 'hint'].includes(r.severity), label);
    assert.ok(Array.isArray(r.path), label);
    assert.equal(typeof r.message, 'string', label);
    assert.ok(!/\bundefined\b|\bNaN\b|\[object Object\]/.test(r.message), `${label}: ${r.message}`);
  }
}

describe('robustness', () => {
  const contexts: Array<Omit<RunOptions, 'kind'>> = [
    {}, { targets: null }, { targets: { targets: null } as unknown as TargetsFile }, { file: '' }, { checkFiles: false },
  ];

  test('malformed experiments: no rule throws', () => {
    for (const config of MALFORMED) {
      for (const opts of contexts) {
        for (const rule of experimentRules) {
          const label = `${rule.id} on ${JSON.stringify(config)}`;
          assert.doesNotThrow(() => assertSane(run(config, { ...opts, rules: [rule] }), label), label);
        }
      }
    }
  });

  test('malformed targets files: no rule throws', () => {
    for (const config of MALFORMED_TARGETS) {
      for (const rule of targetsRules) {
        const label = `${rule.id} on ${JSON.stringify(config)}`;
        assert.doesNotThrow(() => assertSane(run(config, { kind: 'targets', rules: [rule] }), label), label);
      }
    }
  });

  test('every field of a valid experiment replaced by every odd value: no rule throws', () => {
    const paths: string[][] = [];
    const walk = (v: unknown, p: string[]) => {
      if (v && typeof v === 'object') for (const [k, child] of Object.entries(v)) walk(child, [...p, k]);
      paths.push(p);
    };
    walk(base(), []);
    let count = 0;
    for (const p of paths) {
      for (const weird of WEIRD) {
        const c: Cfg = base();
        if (p.length === 0) continue;
        let parent: Cfg = c;
        for (const k of p.slice(0, -1)) parent = parent[k];
        parent[p[p.length - 1]] = weird;
        const label = `${p.join('.')} = ${show(weird)}`;
        assert.doesNotThrow(() => assertSane(run(c), label), label);
        count++;
      }
    }
    assert.ok(count > 1000, `only ${count} variants`);
  });
});
