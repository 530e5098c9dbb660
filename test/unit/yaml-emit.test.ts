// toYaml (config.yaml of every run) against the `yaml` library: what it writes reads back as the
// same data under YAML 1.2 and under YAML 1.1 (PyYAML's), for every example config and for
// generated data full of strings that look like something else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { toYaml } from '../../core/src/yaml/emit';

function roundTrips(value: unknown): void {
  const text = toYaml(value);
  const expected = JSON.parse(JSON.stringify(value)) as unknown; // undefined keys drop, as in JSON
  assert.deepEqual(parse(text), expected, `YAML 1.2 reads back something else:\n${text}`);
  assert.deepEqual(parse(text, { version: '1.1' }), expected, `YAML 1.1 reads back something else:\n${text}`);
}

test('a resolved config reads back the same and looks like hand-written YAML', () => {
  const config = { name: 'train', command: ['python', 'train.py', '--lr', '{params.lr}'], params: { lr: 0.001, batch_size: 64, model: { depth: 12 } }, retry: { max_retries: 2, on: ['oom', 137] }, env: {}, tags: [] };
  roundTrips(config);
  assert.equal(toYaml(config), [
    'name: train', 'command:', '  - python', '  - train.py', '  - --lr'.replace('--lr', '"--lr"'), '  - "{params.lr}"',
    'params:', '  lr: 0.001', '  batch_size: 64', '  model:', '    depth: 12',
    'retry:', '  max_retries: 2', '  on:'.replace('on', '"on"'), '    - oom', '    - 137', 'env: {}', 'tags: []', '',
  ].join('\n'));
});

test('strings that YAML 1.1 or 1.2 would read as something else are quoted', () => {
  const tricky = ['true', 'False', 'yes', 'No', 'on', 'OFF', 'y', 'n', 'null', 'Null', '~', '', ' ', 'a ', ' a', '1', '-1', '+1', '1.5', '.5', '1e3', '1_000', '0x1F', '0o17', '017', '0b101',
    '.inf', '-.Inf', '.nan', '12:30', '2026-12-01', '2026-1-1 10:00', 'a: b', 'a #b', '#c', '- x', '? x', '[a]', '{a}', '*x', '&x', '!x', '|', '>', '%x', '@x', '`x', 'a\nb', 'tab\there',
    '"q"', "'q'", '\\', 'é', '日本', 'emoji 🎉', '\u2028', '1,000', '1:2:3', 'v1.2.3', './train.py', '/abs/path', 'a-b_c.d', 'CUDA_VISIBLE_DEVICES'];
  roundTrips({ list: tricky, map: Object.fromEntries(tricky.map((s, i) => [s, i])) });
  for (const s of tricky) roundTrips(s);
});

test('scalars, empty collections, nesting in sequences', () => {
  for (const v of [null, true, false, 0, -3, 2.5, 1e21, 1e-7, 'x', [], {}, [[]], [{}], [[1, [2, { a: [3] }]]], [{ a: 1, b: { c: [1, 2] } }, { d: null }], { a: [{ b: [{ c: 'deep' }] }] }]) roundTrips(v);
});

test('generated data: 2,000 random documents read back the same', () => {
  let seed = 20261201;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const atoms = ['a', 'B c', 'yes', '0.1', '-', 'x: y', '"', '#', 'ü', '1e5', 'NULL', '  ', '.', '..', '_', '0', '00', 'true ', 'on', '+', '=', '<<', '0.', '-0', 'E5', '_1', '1:', 'a.b', '\\', '\\n', ',', '%', '@'];
  const gen = (depth: number): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.4) return pick<unknown>([null, true, false, Math.floor(rnd() * 1e6) - 5e5, rnd() * 100, pick(atoms), pick(atoms) + pick(atoms)]);
    if (r < 0.7) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(atoms) + pick(atoms), gen(depth + 1)]));
  };
  for (let i = 0; i < 2000; i++) roundTrips(gen(0));
});

test('every example config reads back the same', () => {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (/\.ya?ml$/.test(e.name)) files.push(path.join(d, e.name));
    }
  };
  walk('examples');
  assert.ok(files.length >= 5);
  for (const f of files) for (const doc of parseAllDocuments(fs.readFileSync(f, 'utf8'))) roundTrips(doc.toJS());
});
