// Language features in core: completion contexts and items, hover, outline, file info.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { validateText } from '../../core/src/validate';
import { complete } from '../../core/src/lang/completion';
import { hover } from '../../core/src/lang/hover';
import { documentSymbols } from '../../core/src/lang/symbols';
import { sweepIdOf } from '../../core/src/runner/resume';
import { fileInfo } from '../../core/src/lang/info';
import { memHost } from '../helpers/memfs';

const D = '/w';
const EXP = 'name: demo\ncommand: [python3, train.py]\nparams: { batch_size: 64, learning_rate: 0.01, optimizer: adam }\nresources: { gpus: 1 }\n';
const files = {
  [`${D}/train.py`]: '',
  [`${D}/train.experiment.yaml`]: EXP,
  [`${D}/base.experiment.yaml`]: 'params: {}\n',
  [`${D}/sub/other.experiment.yaml`]: EXP,
  [`${D}/targets.yaml`]: 'targets:\n  gpu-box: { type: local }\n  cluster: { type: kubernetes, namespace: ml }\n',
};

/** Completion at the `|` marker in `text`. */
function at(file: string, text: string) {
  const offset = text.indexOf('|');
  const clean = text.slice(0, offset) + text.slice(offset + 1);
  const host = memHost({ ...files, [file]: clean });
  const v = validateText(file, clean, host);
  return { items: complete(v, offset, host), v, offset };
}
const labels = (xs: { label: string }[]) => xs.map((x) => x.label);

test('top-level keys of an experiment, required first, present keys left out', () => {
  const { items } = at(`${D}/a.experiment.yaml`, 'name: x\n|');
  const l = labels(items);
  assert.ok(l.includes('command') && l.includes('launcher') && l.includes('retry'));
  assert.ok(!l.includes('name'), 'name is already there');
  const cmd = items.find((i) => i.label === 'command')!;
  assert.equal(cmd.sortText?.[0], '0');
  assert.equal(items.find((i) => i.label === 'retry')!.sortText?.[0], '1');
  assert.ok(cmd.documentation && cmd.documentation.length > 20);
});

test('key completion replaces the partial word typed so far', () => {
  const { items, offset } = at(`${D}/a.experiment.yaml`, 'name: x\nlaun|');
  const l = items.find((i) => i.label === 'launcher')!;
  assert.equal(l.replaceStart, offset - 4);
});

test('nested keys: only the branch of the written launcher type', () => {
  const { items } = at(`${D}/a.experiment.yaml`, `${EXP}launcher:\n  type: torchrun\n  |`);
  const l = labels(items);
  assert.ok(l.includes('nproc_per_node'), l.join());
  assert.ok(!l.includes('num_processes'), 'accelerate-only key offered for torchrun');
  assert.ok(!l.includes('type'));
});

test('defaultSnippets become snippet items', () => {
  const { items } = at(`${D}/a.experiment.yaml`, 'name: x\n|');
  const snippets = items.filter((i) => i.kind === 'snippet' && i.label.startsWith('launcher'));
  assert.ok(snippets.length >= 1, labels(items).join());
  assert.match(snippets[0].insertText, /^launcher:\n {2}type: /);
});

test('enum values with their documentation', () => {
  const { items } = at(`${D}/a.experiment.yaml`, `${EXP}launcher:\n  type: accelerate\n  mixed_precision: |`);
  assert.deepEqual(labels(items), ['no', 'fp16', 'bf16', 'fp8']);
  assert.ok(items.every((i) => i.documentation));
});

test('launcher type values come from the oneOf branches', () => {
  const { items } = at(`${D}/a.experiment.yaml`, `${EXP}launcher:\n  type: |`);
  assert.deepEqual(labels(items).sort(), ['accelerate', 'none', 'torchrun']);
});

test('booleans', () => {
  const { items } = at(`${D}/a.experiment.yaml`, `${EXP}shell: |`);
  assert.deepEqual(labels(items), ['true', 'false']);
});

test('GPU types for gpu_type, from the catalog', () => {
  const { items } = at(`${D}/a.experiment.yaml`, 'name: x\nresources:\n  gpu_type: |');
  const l = labels(items);
  assert.ok(l.includes('H100') && l.includes('V100') && l.includes('A100'), l.join());
});

test('file paths for extends and a sweep experiment', () => {
  const ext = labels(at(`${D}/a.experiment.yaml`, 'name: x\nextends: |').items);
  assert.ok(ext.includes('./train.experiment.yaml') && ext.includes('./sub/other.experiment.yaml') && ext.includes('./base.experiment.yaml'), ext.join());
  const sw = labels(at(`${D}/s.sweep.yaml`, 'method: grid\nexperiment: |').items);
  assert.ok(sw.includes('./train.experiment.yaml'));
});

test('target names from the nearest targets.yaml', () => {
  const l = labels(at(`${D}/a.experiment.yaml`, `${EXP}target: |`).items);
  assert.deepEqual(l.sort(), ['cluster', 'gpu-box', 'local']);
});

test('sweep parameter paths come from the experiment', () => {
  const { items } = at(`${D}/s.sweep.yaml`, 'experiment: ./train.experiment.yaml\nmethod: grid\nparameters:\n  params.batch_size: { values: [1] }\n  |');
  const l = labels(items);
  assert.ok(l.includes('params.learning_rate') && l.includes('params.optimizer') && l.includes('resources.gpus'), l.join());
  assert.ok(!l.includes('params.batch_size'), 'already swept');
  const lr = items.find((i) => i.label === 'params.learning_rate')!;
  assert.equal(lr.insertText, 'params.learning_rate: { values: [${1:0.01}] }');
});

test('keys of a sweep parameter spec narrow to the written form', () => {
  const { items } = at(`${D}/s.sweep.yaml`, 'experiment: ./train.experiment.yaml\nmethod: random\nparameters:\n  params.learning_rate:\n    distribution: log_uniform\n    |');
  const l = labels(items);
  assert.ok(l.includes('min') && l.includes('max') && l.includes('q'), l.join());
  assert.ok(!l.includes('mu') && !l.includes('values'), l.join());
});

test('list items: keys of a new mapping item in a list', () => {
  const { items } = at(`${D}/a.experiment.yaml`, `${EXP}kubernetes:\n  tolerations:\n    - key: a\n      operator: Exists\n    - |`);
  const l = labels(items);
  assert.ok(l.includes('effect') && l.includes('key'), l.join());
});

test('list items: enum values of a scalar list', () => {
  const { items } = at(`${D}/a.experiment.yaml`, `${EXP}retry:\n  on:\n    - oom\n    - |`);
  const l = labels(items);
  assert.ok(l.includes('timeout') && l.includes('nonzero'), l.join());
});

test('no completion inside comments, nothing for files that are not ours', () => {
  assert.deepEqual(at(`${D}/a.experiment.yaml`, '# a comment |').items, []);
  assert.deepEqual(at(`${D}/values.yaml`, 'a: 1\n|').items, []);
});

test('hover on a key: description, allowed values, default', () => {
  const text = `${EXP}launcher:\n  type: accelerate\n  mixed_precision: fp16\n`;
  const v = validateText(`${D}/a.experiment.yaml`, text, memHost({ ...files }));
  const h = hover(v, text.indexOf('mixed_precision') + 3)!;
  assert.match(h.markdown, /^\*\*launcher\.mixed_precision\*\* — `string`/);
  assert.match(h.markdown, /Allowed values:\n- `no`/);
  assert.match(h.markdown, /Default: `no`/);
  assert.deepEqual(h.range, { start: { line: 6, character: 2 }, end: { line: 6, character: 17 } });
});

test('hover on a sweep parameter: its values and the whole sweep size', () => {
  const text = 'experiment: ./train.experiment.yaml\nmethod: grid\nparameters:\n  params.learning_rate: { values: [0.1, 0.01, 0.001] }\n  params.batch_size: { range: { min: 16, max: 64, step: 16 } }\nrepeat: 2\n';
  const v = validateText(`${D}/s.sweep.yaml`, text, memHost({ ...files }));
  const h = hover(v, text.indexOf('params.batch_size') + 2)!;
  assert.match(h.markdown, /4 values: `16`, `32`, `48`, `64`/);
  assert.match(h.markdown, /Sweep total: 24 trials — method grid, repeat 2\./);
});

test('outline: nested symbols with ranges; list items named by their name key', () => {
  const text = 'targets:\n  a: { type: local }\nlist:\n  - name: first\n  - 3\n';
  const v = validateText(`${D}/x.yaml`, text, memHost({}));
  const s = documentSymbols(v);
  assert.deepEqual(s.map((x) => x.name), ['targets', 'list']);
  assert.deepEqual(s[0].children?.map((x) => x.name), ['a']);
  assert.deepEqual(s[1].children?.map((x) => x.name), ['first', '[1]']);
  assert.equal(s[1].detail, '2 items');
});

test('file info for lenses: sweep trials, parallelism, targets', () => {
  const text = 'experiment: ./train.experiment.yaml\nmethod: grid\nparameters:\n  params.learning_rate: { values: [1, 2, 3] }\n  params.batch_size: { values: [1, 2] }\nmax_parallel: 4\n';
  const { trialHashes, ...info } = fileInfo(validateText(`${D}/s.sweep.yaml`, text, memHost({ ...files })));
  // Each trial's config hash as the runner would record it, for the lenses' count of changed trials.
  assert.equal(Object.keys(trialHashes!).length, 6);
  assert.ok(Object.values(trialHashes!).every((h) => /^[0-9a-f]{16}$/.test(h)));
  assert.deepEqual(info, {
    kind: 'sweep', errors: 0, warnings: 0, line: 0, trials: { count: 6, exact: true }, method: 'grid', maxParallel: 4,
    targets: ['local', 'gpu-box', 'cluster'], name: 'demo', experimentFile: `${D}/train.experiment.yaml`, targetsFile: `${D}/targets.yaml`,
    sweepId: sweepIdOf('sweep', {}, 'demo', ['params.learning_rate', 'params.batch_size']),
  });
  // The same id the runner files its runs under: a sweep without a name is its experiment's and
  // swept keys' — the file's name and place play no part.
  assert.match(info.sweepId!, /^demo-sweep-[0-9a-f]{8}$/);
});

test('completion replaces the whole word at the cursor; a key that already has its value gets only its name', () => {
  const sweep = 'experiment: ./train.experiment.yaml\nmethod: |grid\nparameters:\n  params.batch_size: { values: [1] }\nmax_parallel: 2\n';
  const { items, offset } = at(`${D}/s.sweep.yaml`, sweep);
  const random = items.find((i) => i.label === 'random')!;
  assert.deepEqual([random.replaceStart, random.replaceEnd], [offset, offset + 'grid'.length]);
  const key = at(`${D}/s.sweep.yaml`, sweep.replace('method: |grid', 'method: grid').replace('max_parallel', 'max_|parallel'));
  const name = key.items.find((i) => i.label === 'name')!;
  assert.deepEqual([name.insertText, name.snippet, name.replaceStart, name.replaceEnd], ['name', false, key.offset - 'max_'.length, key.offset + 'parallel'.length]);
  assert.ok(key.items.every((i) => i.kind === 'property' || i.kind === 'reference'), 'no snippets where a value follows');
});
