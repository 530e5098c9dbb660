// Completion and hover through the bundled language server (dist/server.js) and a real LSP client
// over stdio: in flow collections while a line is being typed (each keystroke a didChange), with
// sweep parameter paths and kubeconfig contexts, and for files that name their own JSON Schema by
// a modeline or a `$schema` key — including a recursive schema, after which the server still answers.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompletionItem, CompletionList, Hover } from 'vscode-languageserver';
import { fileUri, startServer } from '../helpers/lsp-client';
import type { LspClient } from '../helpers/lsp-client';

const SERVER = path.resolve('dist/server.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'expctl-lsp-completion-'));
const EXP = 'name: demo\ncommand: [python3, train.py]\nparams: { batch_size: 64, lr: 0.01 }\n';
const write = (name: string, text: string) => { fs.writeFileSync(path.join(dir, name), text); return fileUri(path.join(dir, name)); };
const items = (r: CompletionList | CompletionItem[] | null) => (Array.isArray(r) ? r : r?.items ?? []);
const labels = (r: CompletionList | CompletionItem[] | null) => items(r).map((i) => i.label);
const markdown = (h: Hover | null) => (h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '');

/** The position at the end of `text` (where the cursor is after typing it). */
function endOf(text: string) {
  const lines = text.split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1].length };
}

let server: LspClient;

before(async () => {
  write('train.py', '');
  write('train.experiment.yaml', EXP);
  write('kc.yaml', 'apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n  - name: dev\n    context: { cluster: c }\n  - name: prod\n    context: { cluster: c }\n');
  write('job.schema.json', JSON.stringify({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      kind: { title: 'Job kind', description: 'What runs.', enum: ['batch', 'service'] },
      owner: { $ref: '#/$defs/person' },
      tags: { type: 'array', items: { enum: ['gpu', 'cpu'] } },
      region: { markdownDescription: 'Where it runs, e.g. **eu-west**.', examples: ['eu-west', 'us-east'] },
    },
    $defs: { person: { type: 'object', properties: { name: { type: 'string' }, role: { enum: ['admin', 'user'] } } } },
  }));
  write('tree.schema.json', JSON.stringify({
    $schema: 'https://json-schema.org/draft/2020-12/schema', $dynamicAnchor: 'node', title: 'Tree node',
    allOf: [{ $ref: '#' }],
    properties: { label: { enum: ['leaf', 'inner'], description: 'What this node is.' }, children: { type: 'array', items: { $dynamicRef: '#node' } } },
  }));
  server = startServer('node', [SERVER, '--stdio'], { rootUri: fileUri(dir), settings: { expctl: { validation: { debounceMs: 0 } } } });
  await server.initialize();
});

after(async () => {
  await server.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('flow style while typing', () => {
  const uri = fileUri(path.join(dir, 'typing.experiment.yaml'));
  let version = 1;
  /** Types `text` after the experiment (one didChange, as an editor sends per keystroke) and completes at its end. */
  async function typed(text: string) {
    const full = `${EXP}${text}`;
    await server.change(uri, full, ++version);
    return server.completion(uri, endOf(full));
  }

  before(async () => { await server.open(uri, EXP); });

  test('a key partly typed in an unclosed `{`: a text edit over the word typed', async () => {
    const res = items(await typed('retry: { max_retr'));
    const mr = res.find((i) => i.label === 'max_retries');
    assert.ok(mr, res.map((i) => i.label).join());
    assert.ok(mr.textEdit && 'range' in mr.textEdit);
    assert.deepEqual(mr.textEdit.range, { start: { line: 3, character: 9 }, end: { line: 3, character: 17 } });
    assert.ok(!mr.textEdit.newText.includes('\n'));
  });

  test('enum values in an unclosed flow sequence (`on: [nonz`)', async () => {
    const res = items(await typed('retry: { max_retries: 2, on: [nonz'));
    const nz = res.find((i) => i.label === 'nonzero');
    assert.ok(nz && nz.textEdit && 'range' in nz.textEdit, res.map((i) => i.label).join());
    assert.equal(nz.textEdit.range.start.character, 30);
    assert.equal(nz.textEdit.newText, 'nonzero');
    assert.ok(typeof nz.documentation === 'object' && nz.documentation.value.length > 10);
  });

  test('after a comma (`resources: { gpus: 2, `): the keys not yet written', async () => {
    const l = labels(await typed('resources: { gpus: 2, '));
    assert.ok(l.includes('gpu_type') && l.includes('memory') && !l.includes('gpus'), l.join());
  });

  test('empty `{ }`, flow inside flow, flow in a block list, booleans', async () => {
    const full = `${EXP}retry: {  }\nkubernetes: { image: x, tolerations: [{ operator: Exists,  }] }\nmetrics: { primary: loss, required:  }\n`;
    await server.change(uri, full, ++version);
    const empty = labels(await server.completion(uri, { line: 3, character: 9 }));
    assert.ok(empty.includes('max_retries') && empty.includes('on'), empty.join());
    const nested = labels(await server.completion(uri, { line: 4, character: 57 }));
    assert.ok(nested.includes('effect') && nested.includes('key') && !nested.includes('operator'), nested.join());
    assert.deepEqual(labels(await server.completion(uri, { line: 5, character: 36 })), ['true', 'false']);
    const block = `${EXP}kubernetes:\n  image: x\n  tolerations:\n    - { operator: Exists,  }\n`;
    await server.change(uri, block, ++version);
    const inList = labels(await server.completion(uri, { line: 6, character: 26 }));
    assert.ok(inList.includes('effect') && !inList.includes('operator'), inList.join());
  });

  test('hover inside braces', async () => {
    const full = `${EXP}retry: { max_retries: 2, on: [nonzero] }\n`;
    await server.change(uri, full, ++version);
    assert.match(markdown(await server.hover(uri, { line: 3, character: 12 })), /^\*\*retry\.max_retries\*\* — `integer`/);
    assert.match(markdown(await server.hover(uri, { line: 3, character: 32 })), /`nonzero` — \*\*Non-zero exit\*\*/);
  });
});

test('sweep: parameter paths of the referenced experiment inside `parameters: { … }`', async () => {
  const text = 'experiment: ./train.experiment.yaml\nmethod: grid\nparameters: { params.lr: { values: [0.1] },  }\n';
  const uri = write('flow.sweep.yaml', text);
  await server.open(uri, text);
  const res = items(await server.completion(uri, { line: 2, character: 44 }));
  const bs = res.find((i) => i.label === 'params.batch_size');
  assert.ok(bs, res.map((i) => i.label).join());
  assert.ok(!res.some((i) => i.label === 'params.lr'), 'already swept');
  assert.equal(bs.textEdit && 'newText' in bs.textEdit ? bs.textEdit.newText : undefined, 'params.batch_size: { values: [${1:64}] }');
});

test('targets.yaml: kubeconfig contexts inside a flow mapping', async () => {
  const text = 'targets:\n  k: { type: kubernetes, kubeconfig: ./kc.yaml, namespace: ml, context:  }\n';
  const uri = write('targets.yaml', text);
  await server.open(uri, text);
  const l = labels(await server.completion(uri, { line: 1, character: 73 }));
  assert.deepEqual(l.sort(), ['dev', 'prod']);
});

describe("users' own schemas", () => {
  test('named by a modeline: keys, enum values ($ref too), examples, flow style, hover', async () => {
    const text = '# yaml-language-server: $schema=./job.schema.json\nkind: \nowner: { name: A,  }\ntags: [gpu, ]\nregion: \n';
    const uri = write('job.yaml', text);
    await server.open(uri, text);
    assert.deepEqual(labels(await server.completion(uri, { line: 1, character: 6 })), ['batch', 'service']);
    assert.deepEqual(labels(await server.completion(uri, { line: 2, character: 18 })), ['role']);
    assert.deepEqual(labels(await server.completion(uri, { line: 3, character: 12 })), ['gpu', 'cpu']);
    assert.deepEqual(labels(await server.completion(uri, { line: 4, character: 8 })), ['eu-west', 'us-east']);
    const top = labels(await server.completion(uri, { line: 5, character: 0 }));
    assert.deepEqual(top, [], 'all declared keys are written');
    const h = markdown(await server.hover(uri, { line: 1, character: 1 }));
    assert.match(h, /\*Job kind\*/);
    assert.match(h, /What runs\./);
    assert.match(markdown(await server.hover(uri, { line: 4, character: 1 })), /Where it runs, e\.g\. \*\*eu-west\*\*\./);
  });

  test('named by a top-level `$schema` key', async () => {
    const text = '$schema: ./job.schema.json\n\nowner:\n  role: \n';
    const uri = write('keyed.yaml', text);
    await server.open(uri, text);
    const l = labels(await server.completion(uri, { line: 1, character: 0 }));
    assert.ok(l.includes('kind') && l.includes('tags') && !l.includes('owner') && !l.includes('$schema'), l.join());
    assert.deepEqual(labels(await server.completion(uri, { line: 3, character: 8 })), ['admin', 'user']);
    assert.match(markdown(await server.hover(uri, { line: 3, character: 3 })), /^\*\*owner\.role\*\*/);
  });

  test('a recursive schema ($dynamicRef, allOf of itself): answers at depth, and the server keeps answering', async () => {
    const text = '# yaml-language-server: $schema=./tree.schema.json\nchildren:\n  - children:\n      - children: [{ label:  }]\n';
    const uri = write('tree.yaml', text);
    await server.open(uri, text);
    assert.deepEqual(labels(await server.completion(uri, { line: 3, character: 28 })), ['leaf', 'inner']);
    const keys = labels(await server.completion(uri, { line: 4, character: 0 }));
    assert.deepEqual(keys, ['label'], keys.join());
    assert.match(markdown(await server.hover(uri, { line: 3, character: 10 })), /\*\*children\.children\.children\*\* — `array`/);
    // Still alive: an ordinary request after the recursive ones.
    const after = labels(await server.completion(uri, { line: 1, character: 10 }));
    assert.deepEqual(after, []);
  });
});
