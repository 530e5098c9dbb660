// Completion and hover in flow collections (`{ … }`, `[ … ]`), in lines still being typed, and
// against users' own schemas (named by a modeline or a `$schema` key), including recursive ones.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Node } from 'yaml';
import { validateText } from '../../core/src/validate';
import { complete } from '../../core/src/lang/completion';
import type { CompletionEntry } from '../../core/src/lang/completion';
import { hover } from '../../core/src/lang/hover';
import { memHost } from '../helpers/memfs';

const D = '/w';
const EXP = 'name: demo\ncommand: [python3, train.py]\nparams: { batch_size: 64, learning_rate: 0.01, optimizer: adam }\nresources: { gpus: 1 }\n';
const KUBECONFIG = 'apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n  - name: dev\n    context: { cluster: c }\n  - name: prod\n    context: { cluster: c }\n';
const files: Record<string, string> = {
  [`${D}/train.py`]: '',
  [`${D}/train.experiment.yaml`]: EXP,
  [`${D}/targets.yaml`]: 'targets:\n  gpu-box: { type: local }\n  cluster: { type: kubernetes, namespace: ml }\n',
  [`${D}/kc.yaml`]: KUBECONFIG,
};

/** Completion at the `|` marker in `text` (the marker removed). */
function at(file: string, text: string, extra: Record<string, string> = {}) {
  const offset = text.indexOf('|');
  assert.ok(offset >= 0, 'no | marker');
  const clean = text.slice(0, offset) + text.slice(offset + 1);
  const host = memHost({ ...files, ...extra, [file]: clean });
  const v = validateText(file, clean, host);
  return { items: complete(v, offset, host), offset, v, host };
}
const labels = (xs: { label: string }[]) => xs.map((x) => x.label);
const exp = `${D}/a.experiment.yaml`;

/** Inside flow collections every insertion is one line of flow text. */
function assertFlowText(items: CompletionEntry[]) {
  for (const i of items) assert.ok(!i.insertText.includes('\n'), `${i.label} inserts several lines: ${JSON.stringify(i.insertText)}`);
}

describe('flow mappings: keys', () => {
  test('empty `{ }` after `key: `: the keys of that mapping, one-line inserts', () => {
    for (const text of [`${EXP}retry: { | }\n`, `${EXP}retry: {|}\n`, `${EXP}retry: {|`]) {
      const { items } = at(exp, text);
      const l = labels(items);
      assert.ok(l.includes('max_retries') && l.includes('on') && l.includes('backoff_base_s'), `${JSON.stringify(text)}: ${l.join()}`);
      assertFlowText(items);
      // An array inside flow is a flow sequence, not a block list.
      assert.equal(items.find((i) => i.label === 'on')!.insertText, 'on: [$0]');
    }
  });

  test('a partly typed key in an unclosed `{` (`retry: { max_retr`) replaces the word typed', () => {
    const { items, offset } = at(exp, `${EXP}retry: { max_retr|`);
    const mr = items.find((i) => i.label === 'max_retries');
    assert.ok(mr, labels(items).join());
    assert.equal(mr.replaceStart, offset - 'max_retr'.length);
    assert.ok(mr.documentation && mr.documentation.length > 20);
  });

  test('after a comma, the keys not yet written (`resources: { gpus: 2, `)', () => {
    const { items } = at(exp, 'name: x\nresources: { gpus: 2, |');
    const l = labels(items);
    assert.ok(l.includes('gpu_type') && l.includes('memory'), l.join());
    assert.ok(!l.includes('gpus'), 'gpus is already written');
    assertFlowText(items);
  });

  test('keys written after the cursor are left out too, and the written discriminator narrows the keys', () => {
    const { items } = at(exp, `${EXP}launcher: { type: torchrun, |, nnodes: 2 }\n`);
    const l = labels(items);
    assert.ok(l.includes('nproc_per_node'), l.join());
    assert.ok(!l.includes('num_processes'), 'accelerate-only key offered for torchrun');
    assert.ok(!l.includes('type') && !l.includes('nnodes'), l.join());
  });

  test('the key under the cursor is offered again (it is being edited), the others written are not', () => {
    const flow = labels(at(exp, `${EXP}metrics: { primary: loss, go|al: minimize }\n`).items);
    assert.ok(flow.includes('goal') && !flow.includes('primary'), flow.join());
    const block = labels(at(exp, `${EXP}rep|eat: 2\n`).items);
    assert.ok(block.includes('repeat') && !block.includes('name'), block.join());
  });

  test('flow mapping inside a block list item', () => {
    const { items } = at(exp, `${EXP}kubernetes:\n  image: x\n  tolerations:\n    - { operator: Exists, | }\n`);
    const l = labels(items);
    assert.ok(l.includes('key') && l.includes('effect'), l.join());
    assert.ok(!l.includes('operator'));
  });

  test('flow inside flow: a mapping in a sequence in a mapping, and a mapping in a mapping', () => {
    const a = labels(at(exp, `${EXP}kubernetes: { image: x, tolerations: [{ operator: Exists, | }] }\n`).items);
    assert.ok(a.includes('key') && a.includes('effect') && !a.includes('operator'), a.join());
    const b = labels(at(exp, `${EXP}data: { kafka: { topic: t, | } }\n`).items);
    assert.ok(b.includes('bootstrap_servers') && !b.includes('topic'), b.join());
  });

  test('a flow mapping continued over several lines, still unclosed', () => {
    const { items } = at(exp, `${EXP}data:\n  kafka: { bootstrap_servers: [broker:9092], topic: t,\n           |\n`);
    const l = labels(items);
    assert.ok(l.includes('offsets') && l.includes('split'), l.join());
    assert.ok(!l.includes('topic') && !l.includes('bootstrap_servers'), l.join());
  });

  test('a whole document in flow style: top-level keys with defaultSnippets as one-line flow text', () => {
    const { items } = at(exp, '{ name: x, command: [a], | }\n');
    const l = labels(items);
    assert.ok(l.includes('retry') && l.includes('launcher') && !l.includes('name'), l.join());
    assertFlowText(items);
    const snip = items.find((i) => i.kind === 'snippet' && i.label === 'retry: retry transient failures')!;
    assert.equal(snip.insertText, 'retry: { max_retries: ${1:3}, backoff_initial_s: ${2:1}, backoff_base_s: ${3:2}, max_backoff_s: ${4:300}, on: [${5:oom}, timeout, nonzero] }');
    assert.equal(items.find((i) => i.label === 'launcher')!.insertText, 'launcher: { $0 }');
    // A placeholder whose default holds a comma is quoted: plain flow text would end there.
    const pinned = items.find((i) => i.label === 'launcher: accelerate (pinned GPUs)')!;
    assert.match(pinned.insertText, /gpu_ids: "\$\{2:0,1\}"/);
  });

  test('no completion inside a comment after a flow collection, nor right after a closed value', () => {
    assert.deepEqual(at(exp, `${EXP}retry: { on: [oom] } # a comment |\n`).items, []);
    assert.deepEqual(at(exp, `${EXP}retry: { on: [oom]| }\n`).items, []);
  });

  test('braces inside quoted strings and block scalars are text, not flow collections', () => {
    const a = labels(at(exp, `${EXP}description: "a { b ["\n|`).items);
    assert.ok(a.includes('retry'), a.join());
    const b = labels(at(exp, `${EXP}description: >-\n  text { with [ braces\n|`).items);
    assert.ok(b.includes('retry'), b.join());
  });
});

test('a document that starts with blank lines: completion answers (searching up to line 1 used to loop forever)', { timeout: 10_000 }, () => {
  const l = labels(at(exp, '\n\n\nretry:\n  on:\n  - |').items);
  assert.ok(l.includes('oom'), l.join());
  assert.deepEqual(labels(at(exp, '\n\n- |').items), []);
  assert.ok(labels(at(exp, '\n\nname: x\nlauncher:\n\n  |').items).includes('type'));
});

describe('flow collections: values', () => {
  test('enum values in a flow sequence, partly typed and unclosed (`on: [nonz`)', () => {
    const { items, offset } = at(exp, `${EXP}retry: { max_retries: 2, on: [nonz|`);
    const l = labels(items);
    assert.ok(l.includes('nonzero') && l.includes('oom'), l.join());
    assert.equal(items.find((i) => i.label === 'nonzero')!.replaceStart, offset - 4);
  });

  test('enum values after a comma in a flow sequence, and in an empty `[ ]`', () => {
    const a = labels(at(exp, `${EXP}retry: { on: [oom, |] }\n`).items);
    assert.ok(a.includes('timeout') && a.includes('evicted'), a.join());
    const b = labels(at(exp, `${EXP}retry: { on: [|] }\n`).items);
    assert.ok(b.includes('timeout'), b.join());
  });

  test('enum values after `key: ` inside braces, with their documentation', () => {
    const { items } = at(exp, `${EXP}launcher: { type: accelerate, mixed_precision: | }\n`);
    assert.deepEqual(labels(items), ['no', 'fp16', 'bf16', 'fp8']);
    assert.ok(items.every((i) => i.documentation));
    assert.deepEqual(labels(at(exp, `${EXP}launcher: { type: |, num_processes: 2 }\n`).items).sort(), ['accelerate', 'none', 'torchrun']);
  });

  test('a new item of a flow sequence of mappings: its keys, inserted as a flow mapping', () => {
    const { items } = at(exp, `${EXP}kubernetes: { image: x, tolerations: [|] }\n`);
    const op = items.find((i) => i.label === 'operator');
    assert.ok(op, labels(items).join());
    assert.equal(op.insertText, '{ operator: ${1|Exists,Equal|} }');
    assertFlowText(items);
  });

  test('booleans inside braces', () => {
    const { items } = at(exp, `${EXP}metrics: { primary: loss, required: | }\n`);
    assert.deepEqual(labels(items), ['true', 'false']);
  });

  test('a quoted value being typed inside a flow sequence', () => {
    const { items, offset } = at(exp, `${EXP}retry: { on: ["tim|"] }\n`);
    assert.equal(items.find((i) => i.label === 'timeout')?.replaceStart, offset - 3);
  });

  test('GPU types and target names in flow style', () => {
    const g = labels(at(exp, `${EXP.replace('resources: { gpus: 1 }\n', '')}resources: { gpus: 1, gpu_type: | }\n`).items);
    assert.ok(g.includes('H100') && g.includes('A100'), g.join());
    const t = labels(at(exp, '{ name: x, command: [a], target: | }\n').items);
    assert.deepEqual(t.sort(), ['cluster', 'gpu-box', 'local']);
  });

  test('kubeconfig contexts of a Kubernetes target, in flow style', () => {
    const { items } = at(`${D}/targets.yaml`, 'targets:\n  k: { type: kubernetes, kubeconfig: ./kc.yaml, namespace: ml, context: | }\n');
    assert.deepEqual(labels(items).sort(), ['dev', 'prod']);
    assert.equal(items.find((i) => i.label === 'dev')!.detail, 'current context');
  });
});

describe('sweeps in flow style', () => {
  const sweep = `${D}/s.sweep.yaml`;
  test('parameter paths from the referenced experiment inside `parameters: { … }`', () => {
    const { items } = at(sweep, 'experiment: ./train.experiment.yaml\nmethod: grid\nparameters: { params.batch_size: { values: [1] }, | }\n');
    const l = labels(items);
    assert.ok(l.includes('params.learning_rate') && l.includes('params.optimizer') && l.includes('resources.gpus'), l.join());
    assert.ok(!l.includes('params.batch_size'), 'already swept');
    assert.equal(items.find((i) => i.label === 'params.learning_rate')!.insertText, 'params.learning_rate: { values: [${1:0.01}] }');
    assertFlowText(items);
  });

  test('keys of a parameter spec written in flow narrow to its form', () => {
    const l = labels(at(sweep, 'experiment: ./train.experiment.yaml\nmethod: random\nparameters:\n  params.learning_rate: { distribution: log_uniform, | }\n').items);
    assert.ok(l.includes('min') && l.includes('max'), l.join());
    assert.ok(!l.includes('values') && !l.includes('mu'), l.join());
  });

  test('keys of the sweep metric mapping and its goal values', () => {
    const a = labels(at(sweep, 'experiment: ./train.experiment.yaml\nmetric: { name: val_loss, | }\n').items);
    assert.ok(a.includes('goal'), a.join());
    const b = labels(at(sweep, 'experiment: ./train.experiment.yaml\nmetric: { name: val_loss, goal: | }\n').items);
    assert.deepEqual(b.sort(), ['maximize', 'minimize']);
  });
});

describe('hover in flow collections', () => {
  const text = `${EXP}retry: { max_retries: 2, on: [nonzero] }\nlauncher: { type: accelerate, mixed_precision: fp16 }\n`;
  const v = validateText(exp, text, memHost(files));
  test('on a key and on a value inside braces and brackets', () => {
    assert.match(hover(v, text.indexOf('max_retries') + 2)!.markdown, /^\*\*retry\.max_retries\*\* — `integer`/);
    assert.match(hover(v, text.indexOf('mixed_precision') + 2)!.markdown, /Allowed values:\n- `no`/);
    assert.match(hover(v, text.indexOf('nonzero') + 2)!.markdown, /- `nonzero` — \*\*Non-zero exit\*\*/);
  });
  test('in a line still being typed', () => {
    const broken = `${EXP}retry: { max_retries: 2, on: [nonz`;
    const h = hover(validateText(exp, broken, memHost(files)), broken.indexOf('max_retries') + 2);
    assert.match(h!.markdown, /^\*\*retry\.max_retries\*\*/);
  });
});

describe('every flow collection in examples/', () => {
  // Free-form mappings (any key): nothing to offer for their keys.
  const FREE = new Set(['params', 'env', 'labels', 'annotations', 'node_selector', 'secret_env', 'scale']);
  const root = path.resolve('examples');
  const yamlFiles = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(root, f));
  const disk = Object.fromEntries(fs.readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(root, f)).filter((f) => fs.statSync(f).isFile()).map((f) => [f, fs.readFileSync(f, 'utf8')]));

  test('completing at the end of each key and each enum value written in flow style offers it', () => {
    let keys = 0;
    let values = 0;
    for (const file of yamlFiles) {
      const text = disk[file];
      const doc = parseDocument(text);
      const host = memHost(disk);
      const v = validateText(file, text, host);
      const labelsAt = (offset: number) => labels(complete(v, offset, host));
      visit(doc, {
        Pair(_k, pair, pathNodes) {
          const parent = pathNodes[pathNodes.length - 1];
          if (!isMap(parent) || !parent.flow || !isScalar(pair.key)) return;
          const parentKey = pathNodes.length >= 2 && (pathNodes[pathNodes.length - 2] as { key?: Node }).key;
          if (isScalar(parentKey) && FREE.has(String(parentKey.value))) return;
          const end = pair.key.range![1];
          const l = labelsAt(end);
          assert.ok(l.includes(String(pair.key.value)), `${path.relative(root, file)}:${text.slice(0, end).split('\n').length} key ${String(pair.key.value)}: offered ${l.join()}`);
          keys++;
        },
        Scalar(_k, node, pathNodes) {
          const parent = pathNodes[pathNodes.length - 1];
          const inFlowSeq = isSeq(parent) && parent.flow;
          const inFlowMapValue = !isSeq(parent) && (parent as { value?: unknown }).value === node && isMap(pathNodes[pathNodes.length - 2]) && (pathNodes[pathNodes.length - 2] as { flow?: boolean }).flow;
          if (!inFlowSeq && !inFlowMapValue) return;
          const items = complete(v, node.range![1], host);
          if (!items.some((i) => i.kind === 'enum')) return;
          assert.ok(labels(items).includes(String(node.value)), `${path.relative(root, file)} value ${String(node.value)}: offered ${labels(items).join()}`);
          values++;
        },
      });
    }
    // retry/metrics/resources/launcher/kafka/tolerations keys across the examples, and their enum values.
    assert.ok(keys >= 40, `only ${keys} flow keys checked`);
    assert.ok(values >= 10, `only ${values} flow enum values checked`);
  });
});

describe("users' own schemas", () => {
  const SCHEMA = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Job',
    type: 'object',
    required: ['kind'],
    properties: {
      kind: { title: 'Job kind', description: 'What runs.', enum: ['batch', 'service'] },
      version: { const: 2, description: 'Format version.' },
      priority: { type: 'integer', default: 5, description: 'Higher runs first.' },
      region: { type: 'string', examples: ['eu-west', 'us-east'], markdownDescription: 'Where it runs, e.g. **eu-west**.' },
      enabled: { type: 'boolean' },
      owner: { $ref: '#/$defs/person' },
      tags: { type: 'array', items: { enum: ['gpu', 'cpu'] } },
      limits: { allOf: [{ $ref: '#/$defs/limits' }] },
      mode: { anyOf: [{ const: 'fast' }, { const: 'safe' }] },
    },
    if: { properties: { kind: { const: 'service' } } },
    then: { properties: { port: { type: 'integer', description: 'Listening port.' } } },
    else: { properties: { retries: { type: 'integer' } } },
    $defs: {
      person: { type: 'object', properties: { name: { type: 'string', description: 'Full name.' }, role: { enum: ['admin', 'user'] } } },
      limits: { type: 'object', properties: { cpu: { type: 'number' }, memory: { type: 'string', default: '1Gi' } } },
    },
  };
  const schemaFiles = { [`${D}/job.schema.json`]: JSON.stringify(SCHEMA) };
  const MODELINE = '# yaml-language-server: $schema=./job.schema.json\n';
  const job = `${D}/job.yaml`;
  const user = (text: string) => at(job, text, schemaFiles);

  test('modeline: keys with their docs, required first', () => {
    const { items } = user(`${MODELINE}version: 2\n|`);
    const l = labels(items);
    // Until `kind` is written, both the `then` and the `else` keys may apply.
    for (const k of ['kind', 'priority', 'region', 'enabled', 'owner', 'tags', 'limits', 'mode', 'port', 'retries']) assert.ok(l.includes(k), `${k} missing: ${l.join()}`);
    assert.ok(!l.includes('version'), l.join());
    assert.equal(items.find((i) => i.label === 'kind')!.sortText?.[0], '0');
    assert.equal(items.find((i) => i.label === 'kind')!.documentation, 'What runs.');
    assert.equal(items.find((i) => i.label === 'region')!.documentation, 'Where it runs, e.g. **eu-west**.');
  });

  test('modeline: enum, const, default, examples, booleans, $ref, allOf, anyOf, if/then', () => {
    assert.deepEqual(labels(user(`${MODELINE}kind: |`).items), ['batch', 'service']);
    assert.deepEqual(labels(user(`${MODELINE}version: |`).items), ['2']);
    assert.deepEqual(labels(user(`${MODELINE}priority: |`).items), ['5']);
    assert.deepEqual(labels(user(`${MODELINE}region: |`).items), ['eu-west', 'us-east']);
    assert.deepEqual(labels(user(`${MODELINE}enabled: |`).items), ['true', 'false']);
    assert.deepEqual(labels(user(`${MODELINE}owner:\n  |`).items).sort(), ['name', 'role']);
    assert.deepEqual(labels(user(`${MODELINE}owner:\n  role: |`).items), ['admin', 'user']);
    assert.deepEqual(labels(user(`${MODELINE}limits:\n  |`).items).sort(), ['cpu', 'memory']);
    assert.deepEqual(labels(user(`${MODELINE}mode: |`).items), ['fast', 'safe']);
    const svc = labels(user(`${MODELINE}kind: service\n|`).items);
    assert.ok(svc.includes('port') && !svc.includes('retries'), svc.join());
    const batch = labels(user(`${MODELINE}kind: batch\n|`).items);
    assert.ok(batch.includes('retries') && !batch.includes('port'), batch.join());
  });

  test('modeline: flow style too', () => {
    assert.deepEqual(labels(user(`${MODELINE}tags: [gpu, |]\n`).items), ['gpu', 'cpu']);
    assert.deepEqual(labels(user(`${MODELINE}owner: { name: A, role: | }\n`).items), ['admin', 'user']);
    assert.deepEqual(labels(user(`${MODELINE}owner: { name: A, | }\n`).items), ['role']);
  });

  test('a top-level `$schema` key names the schema', () => {
    const l = labels(user('$schema: ./job.schema.json\n|').items);
    assert.ok(l.includes('kind') && l.includes('owner') && !l.includes('$schema'), l.join());
    assert.deepEqual(labels(user('$schema: ./job.schema.json\nkind: |').items), ['batch', 'service']);
  });

  test('no expctl-specific items in a user schema (a `target` key gets only what the schema says)', () => {
    const s = { [`${D}/t.schema.json`]: JSON.stringify({ properties: { target: { enum: ['a', 'b'] } } }) };
    assert.deepEqual(labels(at(job, '# yaml-language-server: $schema=./t.schema.json\ntarget: |', s).items), ['a', 'b']);
  });

  test('hover: title, description, markdownDescription, allowed values, default', () => {
    const text = `${MODELINE}kind: batch\nregion: eu-west\npriority: 3\nowner: { name: A }\n`;
    const host = memHost({ ...schemaFiles, [job]: text });
    const v = validateText(job, text, host);
    const k = hover(v, text.indexOf('kind') + 1, host)!.markdown;
    assert.match(k, /^\*\*kind\*\*/);
    assert.match(k, /\*Job kind\*/);
    assert.match(k, /What runs\./);
    assert.match(k, /Allowed values:\n- `batch`\n- `service`/);
    assert.match(hover(v, text.indexOf('region') + 1, host)!.markdown, /Where it runs, e\.g\. \*\*eu-west\*\*\./);
    assert.match(hover(v, text.indexOf('priority') + 1, host)!.markdown, /Higher runs first\.\n\nDefault: `5`/);
    assert.match(hover(v, text.indexOf('name') + 1, host)!.markdown, /^\*\*owner\.name\*\* — `string`\n\nFull name\./);
  });

  test('hover via a `$schema` key', () => {
    const text = '$schema: ./job.schema.json\nkind: batch\n';
    const host = memHost({ ...schemaFiles, [job]: text });
    assert.match(hover(validateText(job, text, host), text.indexOf('kind') + 1, host)!.markdown, /What runs\./);
  });

  test('draft-07: definitions and tuple items', () => {
    const s = { [`${D}/d7.schema.json`]: JSON.stringify({
      $schema: 'http://json-schema.org/draft-07/schema#',
      properties: { pair: { type: 'array', items: [{ enum: ['x', 'y'] }, { $ref: '#/definitions/num' }], additionalItems: { enum: ['rest'] } } },
      definitions: { num: { enum: [1, 2] } },
    }) };
    const m = '# yaml-language-server: $schema=./d7.schema.json\n';
    assert.deepEqual(labels(at(job, `${m}pair: [|]\n`, s).items), ['x', 'y']);
    assert.deepEqual(labels(at(job, `${m}pair: [x, |]\n`, s).items), ['1', '2']);
    assert.deepEqual(labels(at(job, `${m}pair: [x, 1, |]\n`, s).items), ['rest']);
  });

  test('a $ref to another schema file by relative path, re-read when that file changes', () => {
    const main = JSON.stringify({ properties: { db: { $ref: './common/db.json#/$defs/db' } } });
    const db = (engines: string[]) => JSON.stringify({ $defs: { db: { properties: { engine: { enum: engines }, host: { $ref: '../host.json' } } } } });
    const host = JSON.stringify({ properties: { name: { examples: ['localhost'] } } });
    const m = '# yaml-language-server: $schema=./main.schema.json\n';
    const fs1 = { [`${D}/main.schema.json`]: main, [`${D}/common/db.json`]: db(['pg', 'mysql']), [`${D}/host.json`]: host };
    assert.deepEqual(labels(at(job, `${m}db: { engine: | }\n`, fs1).items), ['pg', 'mysql']);
    assert.deepEqual(labels(at(job, `${m}db: { host: { name: | } }\n`, fs1).items), ['localhost']);
    assert.deepEqual(labels(at(job, `${m}db: { engine: | }\n`, { ...fs1, [`${D}/common/db.json`]: db(['sqlite']) }).items), ['sqlite']);
  });

  test('$anchor references and embedded $id resources', () => {
    const s = { [`${D}/a.schema.json`]: JSON.stringify({
      properties: { a: { $ref: '#thing' }, b: { $ref: 'other.json' } },
      $defs: { thing: { $anchor: 'thing', properties: { deep: { enum: ['yes'] } } }, other: { $id: 'https://example.com/other.json', properties: { far: { enum: [1] } } } },
    }) };
    const m = '# yaml-language-server: $schema=./a.schema.json\n';
    assert.deepEqual(labels(at(job, `${m}a: { | }\n`, s).items), ['deep']);
    assert.deepEqual(labels(at(job, `${m}b: { | }\n`, s).items), ['far']);
  });
});

describe('recursive and pathological user schemas answer, never overflow or hang', () => {
  const m = '# yaml-language-server: $schema=./r.schema.json\n';
  const run = (schema: unknown, text: string) => at(`${D}/r.yaml`, `${m}${text}`, { [`${D}/r.schema.json`]: JSON.stringify(schema) });

  test('a tree by $ref: keys at any depth', () => {
    const tree = { $ref: '#/$defs/node', $defs: { node: { type: 'object', properties: { name: { enum: ['leaf', 'branch'] }, children: { type: 'array', items: { $ref: '#/$defs/node' } } } } } };
    const deep = 'children:\n' + Array.from({ length: 30 }, (_, i) => `${' '.repeat(2 + 4 * i)}- children:\n`).join('') + `${' '.repeat(2 + 4 * 30)}- |`;
    assert.deepEqual(labels(run(tree, deep).items).sort(), ['children', 'name']);
    assert.deepEqual(labels(run(tree, 'children: [{ children: [{ name: | }] }]\n').items), ['leaf', 'branch']);
  });

  test('a tree by $dynamicRef / $dynamicAnchor (2020-12)', () => {
    const tree = {
      $schema: 'https://json-schema.org/draft/2020-12/schema', $dynamicAnchor: 'node', type: 'object',
      properties: { data: { enum: ['d'] }, children: { type: 'array', items: { $dynamicRef: '#node' } } },
    };
    assert.deepEqual(labels(run(tree, 'children:\n  - children:\n      - |').items).sort(), ['children', 'data']);
    assert.deepEqual(labels(run(tree, 'children: [{ data: | }]\n').items), ['d']);
  });

  test('self-referencing allOf, $ref cycles and `$ref: "#"` loops', () => {
    const started = Date.now();
    const bomb = { $defs: { a: { allOf: [{ $ref: '#/$defs/a' }, { $ref: '#/$defs/b' }, { properties: { x: { enum: [1] } } }] }, b: { anyOf: [{ $ref: '#/$defs/a' }, { $ref: '#/$defs/b' }] } }, $ref: '#/$defs/a' };
    assert.deepEqual(labels(run(bomb, '|').items), ['x']);
    const cycle = { $defs: { p: { $ref: '#/$defs/q' }, q: { $ref: '#/$defs/p' } }, properties: { loop: { $ref: '#/$defs/p' }, ok: { enum: ['k'] } } };
    assert.deepEqual(labels(run(cycle, 'loop: |').items), []);
    assert.deepEqual(labels(run(cycle, 'ok: |').items), ['k']);
    const self = { $ref: '#', properties: { me: { $ref: '#' }, v: { enum: [true] } } };
    assert.deepEqual(labels(run(self, 'me: { me: { | } }\n').items).sort(), ['me', 'v']);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  test('an unusable schema file gives no items (the diagnostic says why), not a crash', () => {
    assert.deepEqual(labels(at(`${D}/r.yaml`, `${m}|`, { [`${D}/r.schema.json`]: '{ not json' }).items), []);
    assert.deepEqual(labels(at(`${D}/r.yaml`, `${m}|`).items), []);
  });
});
